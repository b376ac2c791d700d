//! Mail: queued in the call's transaction, and its history.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use tenantry_domain::GroupId;
use tenantry_plugin_host::api::{Attachment, HostAnswer, Mail, Page, PluginError};
use tenantry_storage::{Cursor, outbox};

use super::Services;
use super::convert::mail_status;

impl Services<'_, '_> {
    /// Queues a message in the call's transaction.
    pub(super) fn send_mail(&mut self, mail: Mail) -> Result<HostAnswer, PluginError> {
        let now = tenantry_storage::now();
        check_attachments(&mail.attachments)?;
        let plugin = self.plugin.clone();
        let w = self.check_write(GroupId(mail.group_id))?;
        let content = json!({"html": mail.html, "attachments": mail.attachments});
        let queued = outbox::enqueue(
            w,
            &outbox::NewMail {
                plugin: &plugin,
                group: GroupId(mail.group_id),
                source: &mail.source,
                recipients: &mail.to,
                subject: &mail.subject,
                content: &content.to_string(),
            },
            now,
        );
        let id = queued.map_err(|e| self.store_error(e))?;
        self.queued_mail = true;
        let found = outbox::get(self.access.conn(), id);
        match found.map_err(|e| self.store_error(e))? {
            Some(mail) => Ok(HostAnswer::Mail(mail_status(mail))),
            None => Err(PluginError::internal("the queued message vanished")),
        }
    }

    /// The messages of a source, newest first.
    pub(super) fn mail_history(
        &mut self,
        group_id: i64,
        source: String,
        cursor: Option<String>,
        limit: i64,
    ) -> Result<HostAnswer, PluginError> {
        // A group's messages are its own business and its ancestors': a subtree's only.
        self.check_subtree(GroupId(group_id))?;
        let after = cursor
            .as_deref()
            .map(Cursor::parse)
            .transpose()
            .map_err(|e| PluginError::invalid("cursor", e.to_string()))?;
        let page = tenantry_storage::PageRequest::new(Some(limit), after)
            .map_err(|e| PluginError::invalid("limit", e.to_string()))?;
        let plugin = self.plugin.clone();
        let found = outbox::history(
            self.access.conn(),
            &plugin,
            GroupId(group_id),
            &source,
            &page,
        );
        let found = found.map_err(|e| self.store_error(e))?;
        Ok(HostAnswer::MailPage(Page {
            items: found.items.into_iter().map(mail_status).collect(),
            next: found.next.map(|c| c.token().to_owned()),
        }))
    }
}

/// Attachments the mailer can send: base64 that decodes, and content ids a `cid:` URL can name.
/// Refused here, when the plugin queues the message, rather than as a failed send later.
fn check_attachments(attachments: &[Attachment]) -> Result<(), PluginError> {
    for file in attachments {
        if file.base64 && BASE64.decode(file.content.as_bytes()).is_err() {
            return Err(PluginError::invalid(
                "attachments",
                format!("{} is not base64", file.filename),
            ));
        }
        if let Some(id) = &file.content_id
            && !(id.len() <= 64
                && !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        {
            return Err(PluginError::invalid(
                "attachments",
                format!("the content id {id:?} is not 1 to 64 letters, digits, '.', '-' or '_'"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_checked_when_queued() {
        let image = |content: &str, id: &str| Attachment {
            filename: "logo.png".to_owned(),
            content_type: "image/png".to_owned(),
            content: content.to_owned(),
            base64: true,
            content_id: Some(id.to_owned()),
        };
        assert!(check_attachments(&[image("iVBORw0KGgo=", "logo")]).is_ok());
        assert!(check_attachments(&[image("not base64!", "logo")]).is_err());
        for id in ["", "lo go", "a>b", &"x".repeat(65)] {
            assert!(
                check_attachments(&[image("iVBORw0KGgo=", id)]).is_err(),
                "{id:?}"
            );
        }
    }
}
