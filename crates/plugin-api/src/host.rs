//! What a plugin may ask of the host during a call: its own records in the host's database, and
//! read-only views of the group tree. Every request runs in the host's current transaction, and
//! only ever within the subtree of the group the call is about.

use std::ffi::c_void;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tenantry_plugin_abi::{HostTable, STATUS_OK};

use crate::messages::{GroupInfo, PluginError, UserInfo};

/// A host service request.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum HostRequest {
    /// Creates a record (no `id`) or replaces one (with `id`).
    PutRecord {
        group_id: i64,
        collection: String,
        #[serde(default)]
        id: Option<i64>,
        /// Replace only if the record's sort key still is this (`conflict` otherwise): how one
        /// of several servers claims a due record.
        #[serde(default)]
        if_sort_key: Option<String>,
        /// What lists sort and filter by (e.g. an activity's date); empty when none.
        #[serde(default)]
        sort_key: String,
        data: Value,
    },
    GetRecord {
        group_id: i64,
        collection: String,
        id: i64,
    },
    ListRecords(ListRecords),
    /// Another plugin's records, read-only, with the same reach (e.g. the branding plugin's
    /// values, for a report in the group's colours). Its record format is that plugin's API.
    ListOtherRecords {
        plugin: String,
        #[serde(flatten)]
        list: ListRecords,
    },
    DeleteRecord {
        group_id: i64,
        collection: String,
        id: i64,
    },
    /// Gives one of the call's group's records a key no other record of the plugin's collection
    /// holds, in any group (a login address), or takes it away (`key` null): `conflict` when
    /// another record holds it.
    SetRecordKey {
        group_id: i64,
        collection: String,
        id: i64,
        #[serde(default)]
        key: Option<String>,
    },
    /// The record of the plugin's collection holding `key`, if the call may read its group.
    FindRecord {
        collection: String,
        key: String,
    },
    /// Removes every record of a collection of a group (e.g. a reset).
    DeleteCollection {
        group_id: i64,
        collection: String,
    },
    /// One group (within the call's scope).
    Group {
        id: i64,
    },
    /// A group's ancestors, root first, within the call's scope.
    Ancestors {
        id: i64,
    },
    /// Which of `ids` are users of `within`'s subtree (a group the call may read): to check a
    /// user id a client sent, or to show only the users the caller may see. At most 500 ids;
    /// unknown ones and users elsewhere are left out alike.
    Users {
        ids: Vec<i64>,
        within: i64,
    },
    /// A page of the group's descendants, in tree order.
    Subtree {
        id: i64,
        #[serde(default)]
        after: Option<String>,
        #[serde(default = "default_limit")]
        limit: i64,
    },
    /// A group's whole subtree per UTC day, `from` to `to` (`YYYY-MM-DD`, both included), for
    /// the days rolled up so far: devices, sizes, session outcomes, customers.
    DailyStats {
        id: i64,
        from: String,
        to: String,
    },
    /// Records of a collection, in any group the call reaches, whose sort key is not empty and
    /// at most `until`, lowest first (a scheduler's sort key is the next run, RFC 3339 UTC).
    DueRecords {
        collection: String,
        until: String,
        #[serde(default = "default_limit")]
        limit: i64,
    },
    /// Every device of a group's subtree, in tree order, with its sessions and its largest used
    /// size over the UTC days `from` to `to` (`YYYY-MM-DD`, both included); at most `limit`.
    DeviceUsage {
        id: i64,
        from: String,
        to: String,
        limit: i64,
    },
    /// Queues a message for a group (in the call's transaction); the host's mailer sends it
    /// after commit, retrying with back-off. Answers the queued message ([`MailStatus`]).
    SendMail(Mail),
    /// The messages sent about a `source` of a group of the call's subtree, newest first.
    MailHistory {
        group_id: i64,
        source: String,
        #[serde(default)]
        cursor: Option<String>,
        #[serde(default = "default_limit")]
        limit: i64,
    },
    /// A request this host does not know (a newer plugin's): answered `unsupported`.
    #[serde(other)]
    Unsupported,
}

/// The host's answer to a [`HostRequest`]: one variant per kind of answer, so that the host
/// says what it sends and the plugin what it expects, in one type both compile against.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "answer", content = "value", rename_all = "snake_case")]
pub enum HostAnswer {
    /// `PutRecord`.
    Record(Record),
    /// `GetRecord`.
    MaybeRecord(Option<Record>),
    /// `ListRecords`, `ListOtherRecords`.
    Records(Page<Record>),
    /// `DueRecords`.
    DueRecords(Vec<Record>),
    /// `DeleteRecord`: whether it was there.
    Deleted(bool),
    /// `SetRecordKey`: done.
    KeySet,
    /// `DeleteCollection`: how many went.
    Removed(i64),
    /// `Group`.
    Group(GroupInfo),
    /// `Ancestors`.
    Groups(Vec<GroupInfo>),
    /// `Subtree`.
    GroupPage(Page<GroupInfo>),
    /// `Users`.
    Users(Vec<UserInfo>),
    /// `DailyStats`.
    DayStats(Vec<DayStats>),
    /// `DeviceUsage`.
    DeviceUsage(Vec<DeviceUsage>),
    /// `SendMail`.
    Mail(MailStatus),
    /// `MailHistory`.
    MailPage(Page<MailStatus>),
}

impl HostAnswer {
    fn kind(&self) -> &'static str {
        match self {
            HostAnswer::Record(_) => "record",
            HostAnswer::MaybeRecord(_) => "maybe_record",
            HostAnswer::Records(_) => "records",
            HostAnswer::DueRecords(_) => "due_records",
            HostAnswer::Deleted(_) => "deleted",
            HostAnswer::KeySet => "key_set",
            HostAnswer::Removed(_) => "removed",
            HostAnswer::Group(_) => "group",
            HostAnswer::Groups(_) => "groups",
            HostAnswer::GroupPage(_) => "group_page",
            HostAnswer::Users(_) => "users",
            HostAnswer::DayStats(_) => "day_stats",
            HostAnswer::DeviceUsage(_) => "device_usage",
            HostAnswer::Mail(_) => "mail",
            HostAnswer::MailPage(_) => "mail_page",
        }
    }
}

/// The answer a request must get, or the error that says it did not.
macro_rules! expect {
    ($answer:expr, $variant:ident) => {
        $answer.and_then(|answer| match answer {
            HostAnswer::$variant(value) => Ok(value),
            other => Err(PluginError::internal(format!(
                "the host answered {} to a request that takes {}",
                other.kind(),
                stringify!($variant)
            ))),
        })
    };
}

/// A device and what it did over a period (see [`HostRequest::DeviceUsage`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceUsage {
    pub device_id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub name: String,
    pub os: String,
    /// The last session's status; none before the first report.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub last_session_at: Option<String>,
    pub selected_bytes: i64,
    pub used_bytes: i64,
    /// The largest used size a day of the period ended with (a device that did not report
    /// during the period: the size it held from before).
    pub max_used_bytes: i64,
    pub sessions_completed: i64,
    /// Failed or aborted.
    pub sessions_failed: i64,
    /// With errors, failed ones included.
    pub sessions_with_errors: i64,
}

/// A message to send (see [`HostRequest::SendMail`]). The host adds the sender (`mail.from`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub group_id: i64,
    /// What the message is about, in the plugin's words (`scheduled-report/12`).
    pub source: String,
    pub to: Vec<String>,
    pub subject: String,
    /// The body, HTML (a plain-text part is derived from it by the mail client's reader).
    pub html: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    /// `text/csv`, `text/html`, `image/png`, …
    pub content_type: String,
    /// The content: text, or base64 when `base64` says so (an image).
    pub content: String,
    #[serde(default)]
    pub base64: bool,
    /// Set for an image the HTML body shows (`<img src="cid:logo">`): the message carries it
    /// inline, beside the body, instead of as a file to open.
    #[serde(default)]
    pub content_id: Option<String>,
}

/// A queued message and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailStatus {
    pub id: i64,
    pub to: Vec<String>,
    pub subject: String,
    /// `pending` (queued, or waiting to be retried), `sent`, or `failed` (no more attempts).
    pub status: String,
    pub attempts: i64,
    pub created_at: String,
    #[serde(default)]
    pub sent_at: Option<String>,
    /// When the next attempt is due, while pending.
    #[serde(default)]
    pub next_attempt_at: Option<String>,
    #[serde(default)]
    pub last_error: Option<String>,
}

/// One group's subtree on one UTC day (the host's roll-up of devices and their history).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayStats {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub devices: i64,
    pub selected_bytes: i64,
    pub used_bytes: i64,
    pub sessions_completed: i64,
    /// Failed or aborted.
    pub sessions_failed: i64,
    /// With errors, failed ones included.
    pub sessions_with_errors: i64,
    /// Groups below the group.
    pub customers: i64,
}

fn default_limit() -> i64 {
    crate::schema::DEFAULT_PAGE
}

/// A page of a group's records of one collection.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ListRecords {
    pub group_id: i64,
    pub collection: String,
    /// Newest first (`sort_key` then id, descending), or oldest first.
    #[serde(default)]
    pub descending: bool,
    /// Only records whose `sort_key` is at least this …
    #[serde(default)]
    pub from: Option<String>,
    /// … and less than this.
    #[serde(default)]
    pub to: Option<String>,
    /// The `next` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default = "default_limit")]
    pub limit: i64,
}

impl ListRecords {
    /// A group's first record of a collection: for a collection that holds one record per
    /// group (a group's settings).
    pub fn first_of(group_id: i64, collection: &str) -> ListRecords {
        ListRecords {
            group_id,
            collection: collection.to_owned(),
            descending: false,
            from: None,
            to: None,
            cursor: None,
            limit: 1,
        }
    }
}

/// A record of the plugin's own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: i64,
    pub group_id: i64,
    pub collection: String,
    pub sort_key: String,
    pub data: Value,
    pub created_at: String,
    pub updated_at: String,
}

/// A page of records or groups, and where the next one starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// The same page, each item turned into what the API shows.
    pub fn map<U>(self, shown: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(shown).collect(),
            next: self.next,
        }
    }

    /// The same page with other items (made from these).
    pub fn with_items<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            next: self.next,
        }
    }
}

impl<T: Serialize> Page<T> {
    /// The page as every listing of the API answers it: `has_more`, `next_cursor`, `items`
    /// (the shape of [`crate::schema::page`]).
    pub fn body(&self) -> Value {
        serde_json::json!({
            "has_more": self.next.is_some(),
            "next_cursor": self.next,
            "items": self.items,
        })
    }
}

/// The host, for the duration of one call.
#[derive(Debug)]
pub struct Host {
    pub(crate) table: HostTable,
    pub(crate) context: *mut c_void,
}

impl Host {
    /// Sends one request and reads its answer.
    pub fn ask(&self, request: &HostRequest) -> Result<HostAnswer, PluginError> {
        let bytes =
            serde_json::to_vec(request).map_err(|e| PluginError::internal(e.to_string()))?;
        let (status, text) = crate::export::call_host(&self.table, self.context, &bytes)?;
        if status == STATUS_OK {
            serde_json::from_slice(&text).map_err(|e| PluginError::internal(e.to_string()))
        } else {
            Err(serde_json::from_slice(&text)
                .unwrap_or_else(|_| PluginError::internal("the host failed")))
        }
    }

    pub fn put_record(
        &self,
        group_id: i64,
        collection: &str,
        id: Option<i64>,
        sort_key: &str,
        data: Value,
    ) -> Result<Record, PluginError> {
        expect!(
            self.ask(&HostRequest::PutRecord {
                group_id,
                collection: collection.to_owned(),
                id,
                if_sort_key: None,
                sort_key: sort_key.to_owned(),
                data,
            }),
            Record
        )
    }

    /// Replaces a record only if its sort key still is `expected`: `Ok(None)` when it changed
    /// meanwhile (another server claimed it first).
    pub fn claim_record(
        &self,
        record: &Record,
        sort_key: &str,
        data: Value,
    ) -> Result<Option<Record>, PluginError> {
        let claimed = expect!(
            self.ask(&HostRequest::PutRecord {
                group_id: record.group_id,
                collection: record.collection.clone(),
                id: Some(record.id),
                if_sort_key: Some(record.sort_key.clone()),
                sort_key: sort_key.to_owned(),
                data,
            }),
            Record
        );
        match claimed {
            Ok(record) => Ok(Some(record)),
            Err(e) if e.code == crate::PluginErrorCode::Conflict => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Due records of a collection across the groups the call reaches, lowest sort key first.
    pub fn due_records(
        &self,
        collection: &str,
        until: &str,
        limit: i64,
    ) -> Result<Vec<Record>, PluginError> {
        expect!(
            self.ask(&HostRequest::DueRecords {
                collection: collection.to_owned(),
                until: until.to_owned(),
                limit,
            }),
            DueRecords
        )
    }

    /// The devices of a group's subtree over a period of UTC days.
    pub fn device_usage(
        &self,
        id: i64,
        from: &str,
        to: &str,
        limit: i64,
    ) -> Result<Vec<DeviceUsage>, PluginError> {
        expect!(
            self.ask(&HostRequest::DeviceUsage {
                id,
                from: from.to_owned(),
                to: to.to_owned(),
                limit,
            }),
            DeviceUsage
        )
    }

    /// Queues a message; answers it as its history will list it.
    pub fn send_mail(&self, mail: Mail) -> Result<MailStatus, PluginError> {
        expect!(self.ask(&HostRequest::SendMail(mail)), Mail)
    }

    pub fn mail_history(
        &self,
        group_id: i64,
        source: &str,
        cursor: Option<String>,
        limit: i64,
    ) -> Result<Page<MailStatus>, PluginError> {
        expect!(
            self.ask(&HostRequest::MailHistory {
                group_id,
                source: source.to_owned(),
                cursor,
                limit,
            }),
            MailPage
        )
    }

    pub fn get_record(
        &self,
        group_id: i64,
        collection: &str,
        id: i64,
    ) -> Result<Option<Record>, PluginError> {
        expect!(
            self.ask(&HostRequest::GetRecord {
                group_id,
                collection: collection.to_owned(),
                id,
            }),
            MaybeRecord
        )
    }

    pub fn list_records(&self, list: ListRecords) -> Result<Page<Record>, PluginError> {
        expect!(self.ask(&HostRequest::ListRecords(list)), Records)
    }

    /// See [`HostRequest::SetRecordKey`].
    pub fn set_record_key(
        &self,
        group_id: i64,
        collection: &str,
        id: i64,
        key: Option<&str>,
    ) -> Result<(), PluginError> {
        match self.ask(&HostRequest::SetRecordKey {
            group_id,
            collection: collection.to_owned(),
            id,
            key: key.map(str::to_owned),
        })? {
            HostAnswer::KeySet => Ok(()),
            other => Err(PluginError::internal(format!(
                "the host answered {} to a request that takes KeySet",
                other.kind()
            ))),
        }
    }

    /// See [`HostRequest::FindRecord`].
    pub fn find_record(&self, collection: &str, key: &str) -> Result<Option<Record>, PluginError> {
        expect!(
            self.ask(&HostRequest::FindRecord {
                collection: collection.to_owned(),
                key: key.to_owned(),
            }),
            MaybeRecord
        )
    }

    /// Whether a record was there to delete.
    pub fn delete_record(
        &self,
        group_id: i64,
        collection: &str,
        id: i64,
    ) -> Result<bool, PluginError> {
        expect!(
            self.ask(&HostRequest::DeleteRecord {
                group_id,
                collection: collection.to_owned(),
                id,
            }),
            Deleted
        )
    }

    /// How many records were deleted.
    /// A page of another plugin's records (read-only).
    pub fn list_other_records(
        &self,
        plugin: &str,
        list: ListRecords,
    ) -> Result<Page<Record>, PluginError> {
        expect!(
            self.ask(&HostRequest::ListOtherRecords {
                plugin: plugin.to_owned(),
                list,
            }),
            Records
        )
    }

    pub fn delete_collection(&self, group_id: i64, collection: &str) -> Result<i64, PluginError> {
        expect!(
            self.ask(&HostRequest::DeleteCollection {
                group_id,
                collection: collection.to_owned(),
            }),
            Removed
        )
    }

    pub fn group(&self, id: i64) -> Result<GroupInfo, PluginError> {
        expect!(self.ask(&HostRequest::Group { id }), Group)
    }

    /// See [`HostRequest::Users`].
    pub fn users(&self, ids: Vec<i64>, within: i64) -> Result<Vec<UserInfo>, PluginError> {
        expect!(self.ask(&HostRequest::Users { ids, within }), Users)
    }

    pub fn ancestors(&self, id: i64) -> Result<Vec<GroupInfo>, PluginError> {
        expect!(self.ask(&HostRequest::Ancestors { id }), Groups)
    }

    pub fn subtree(
        &self,
        id: i64,
        after: Option<String>,
        limit: i64,
    ) -> Result<Page<GroupInfo>, PluginError> {
        expect!(
            self.ask(&HostRequest::Subtree { id, after, limit }),
            GroupPage
        )
    }

    /// The group's subtree per day, oldest first (days not rolled up yet are missing).
    pub fn daily_stats(&self, id: i64, from: &str, to: &str) -> Result<Vec<DayStats>, PluginError> {
        expect!(
            self.ask(&HostRequest::DailyStats {
                id,
                from: from.to_owned(),
                to: to.to_owned(),
            }),
            DayStats
        )
    }
}
