//! What a plugin may ask of the host during a call: its own records in the host's database, and
//! read-only views of the group tree. Every request runs in the host's current transaction, and
//! only ever within the subtree of the group the call is about.

use std::ffi::c_void;

use serde::de::DeserializeOwned;
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
    pub fn request<T: DeserializeOwned>(&self, request: &HostRequest) -> Result<T, PluginError> {
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
        self.request(&HostRequest::PutRecord {
            group_id,
            collection: collection.to_owned(),
            id,
            if_sort_key: None,
            sort_key: sort_key.to_owned(),
            data,
        })
    }

    /// Replaces a record only if its sort key still is `expected`: `Ok(None)` when it changed
    /// meanwhile (another server claimed it first).
    pub fn claim_record(
        &self,
        record: &Record,
        sort_key: &str,
        data: Value,
    ) -> Result<Option<Record>, PluginError> {
        let claimed = self.request(&HostRequest::PutRecord {
            group_id: record.group_id,
            collection: record.collection.clone(),
            id: Some(record.id),
            if_sort_key: Some(record.sort_key.clone()),
            sort_key: sort_key.to_owned(),
            data,
        });
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
        self.request(&HostRequest::DueRecords {
            collection: collection.to_owned(),
            until: until.to_owned(),
            limit,
        })
    }

    /// The devices of a group's subtree over a period of UTC days.
    pub fn device_usage(
        &self,
        id: i64,
        from: &str,
        to: &str,
        limit: i64,
    ) -> Result<Vec<DeviceUsage>, PluginError> {
        self.request(&HostRequest::DeviceUsage {
            id,
            from: from.to_owned(),
            to: to.to_owned(),
            limit,
        })
    }

    /// Queues a message; answers it as its history will list it.
    pub fn send_mail(&self, mail: Mail) -> Result<MailStatus, PluginError> {
        self.request(&HostRequest::SendMail(mail))
    }

    pub fn mail_history(
        &self,
        group_id: i64,
        source: &str,
        cursor: Option<String>,
        limit: i64,
    ) -> Result<Page<MailStatus>, PluginError> {
        self.request(&HostRequest::MailHistory {
            group_id,
            source: source.to_owned(),
            cursor,
            limit,
        })
    }

    pub fn get_record(
        &self,
        group_id: i64,
        collection: &str,
        id: i64,
    ) -> Result<Option<Record>, PluginError> {
        self.request(&HostRequest::GetRecord {
            group_id,
            collection: collection.to_owned(),
            id,
        })
    }

    pub fn list_records(&self, list: ListRecords) -> Result<Page<Record>, PluginError> {
        self.request(&HostRequest::ListRecords(list))
    }

    /// Whether a record was there to delete.
    pub fn delete_record(
        &self,
        group_id: i64,
        collection: &str,
        id: i64,
    ) -> Result<bool, PluginError> {
        self.request(&HostRequest::DeleteRecord {
            group_id,
            collection: collection.to_owned(),
            id,
        })
    }

    /// How many records were deleted.
    /// A page of another plugin's records (read-only).
    pub fn list_other_records(
        &self,
        plugin: &str,
        list: ListRecords,
    ) -> Result<Page<Record>, PluginError> {
        self.request(&HostRequest::ListOtherRecords {
            plugin: plugin.to_owned(),
            list,
        })
    }

    pub fn delete_collection(&self, group_id: i64, collection: &str) -> Result<i64, PluginError> {
        self.request(&HostRequest::DeleteCollection {
            group_id,
            collection: collection.to_owned(),
        })
    }

    pub fn group(&self, id: i64) -> Result<GroupInfo, PluginError> {
        self.request(&HostRequest::Group { id })
    }

    /// See [`HostRequest::Users`].
    pub fn users(&self, ids: Vec<i64>, within: i64) -> Result<Vec<UserInfo>, PluginError> {
        self.request(&HostRequest::Users { ids, within })
    }

    pub fn ancestors(&self, id: i64) -> Result<Vec<GroupInfo>, PluginError> {
        self.request(&HostRequest::Ancestors { id })
    }

    pub fn subtree(
        &self,
        id: i64,
        after: Option<String>,
        limit: i64,
    ) -> Result<Page<GroupInfo>, PluginError> {
        self.request(&HostRequest::Subtree { id, after, limit })
    }

    /// The group's subtree per day, oldest first (days not rolled up yet are missing).
    pub fn daily_stats(&self, id: i64, from: &str, to: &str) -> Result<Vec<DayStats>, PluginError> {
        self.request(&HostRequest::DailyStats {
            id,
            from: from.to_owned(),
            to: to.to_owned(),
        })
    }
}
