//! The mailer: delivers the outbox (`tenantry_storage::outbox`) through the configured SMTP
//! server. It wakes every `mail.poll_seconds`, or at once when a request or a tick queued a
//! message; claims due messages with a lease (of several servers, one sends each); sends each
//! outside any transaction; and records the outcome: sent, or tried again later with back-off,
//! or failed for good (a permanent SMTP refusal, an unusable address, or the last attempt).

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Message, SmtpTransport, Transport};
use serde::Deserialize;
use tenantry_storage::{Storage, outbox};
use tokio::sync::Notify;

use crate::config::MailSettings;

/// What a plugin put in a message (`SendMail`), as the outbox keeps it.
#[derive(Debug, Deserialize)]
struct Content {
    html: String,
    #[serde(default)]
    attachments: Vec<AttachedFile>,
}

#[derive(Debug, Deserialize)]
struct AttachedFile {
    filename: String,
    content_type: String,
    content: String,
}

/// Why one attempt failed, and whether trying again could help.
#[derive(Debug)]
struct Failed {
    message: String,
    permanent: bool,
}

#[derive(Clone)]
struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    max_attempts: i64,
    retry_base: chrono::Duration,
    /// How long a claimed message is this server's to send before another may try it: longer
    /// than one whole SMTP exchange (connect, greeting, TLS, each command: each up to the
    /// timeout), so that a slow send is never taken over mid-way.
    lease: chrono::Duration,
}

/// Starts the mailer on the current actix runtime. With no `mail.smtp_url`, starts nothing:
/// messages stay pending (and visible as such) until mail is configured.
pub fn spawn(storage: Storage, settings: &MailSettings, wake: Arc<Notify>) -> anyhow::Result<()> {
    if settings.smtp_url.is_empty() {
        log::warn!("mail.smtp_url is empty: scheduled reports are queued but not sent");
        return Ok(());
    }
    let transport = SmtpTransport::from_url(&settings.smtp_url)
        .map_err(|e| anyhow::anyhow!("mail.smtp_url cannot be used: {e}"))?
        .timeout(Some(Duration::from_secs(settings.timeout_seconds)))
        .build();
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| anyhow::anyhow!("mail.from is not an address: {e}"))?;
    let mailer = Mailer {
        transport,
        from,
        max_attempts: settings.max_attempts,
        retry_base: chrono::Duration::seconds(settings.retry_base_seconds as i64),
        lease: chrono::Duration::seconds(settings.timeout_seconds as i64 * 10 + 60),
    };
    let every = Duration::from_secs(settings.poll_seconds);
    actix_web::rt::spawn(async move {
        loop {
            deliver_due(&storage, &mailer).await;
            tokio::select! {
                () = wake.notified() => {}
                () = actix_web::rt::time::sleep(every) => {}
            }
        }
    });
    Ok(())
}

/// Sends everything due, one message at a time: each claimed just before it is sent, so that
/// its lease only has to outlast its own exchange.
async fn deliver_due(storage: &Storage, mailer: &Mailer) {
    loop {
        let (claiming, lease) = (storage.clone(), mailer.lease);
        let claimed =
            web::block(move || outbox::claim_next(&claiming, tenantry_storage::now(), lease)).await;
        let mail = match claimed {
            Ok(Ok(Some(mail))) => mail,
            Ok(Ok(None)) => return,
            Ok(Err(error)) => return log::error!("mail outbox: cannot claim a message: {error}"),
            Err(error) => return log::error!("mail outbox did not run: {error}"),
        };
        let (storage, mailer) = (storage.clone(), mailer.clone());
        if let Err(error) = web::block(move || deliver(&storage, &mailer, &mail)).await {
            log::error!("mail outbox: delivery did not run: {error}");
        }
    }
}

/// One attempt at one message, and its outcome recorded.
fn deliver(storage: &Storage, mailer: &Mailer, mail: &outbox::Mail) {
    let sent = build(mailer, mail).and_then(|message| {
        mailer.transport.send(&message).map_err(|e| Failed {
            message: e.to_string(),
            permanent: e.is_permanent(),
        })
    });
    let now = tenantry_storage::now();
    let recorded = match sent {
        Ok(_) => {
            log::info!(
                "mail {} ({}) sent to {} recipient(s)",
                mail.id,
                mail.source,
                mail.recipients().len()
            );
            outbox::delivered(storage, mail, now)
        }
        Err(failed) => {
            let retry_at = if failed.permanent {
                None
            } else {
                outbox::retry_at(
                    now,
                    mail.attempts + 1,
                    mailer.max_attempts,
                    mailer.retry_base,
                )
            };
            log::warn!(
                "mail {} ({}) not sent (attempt {}{}): {}",
                mail.id,
                mail.source,
                mail.attempts + 1,
                if retry_at.is_some() {
                    ", will retry"
                } else {
                    ", giving up"
                },
                failed.message
            );
            outbox::attempt_failed(storage, mail, &failed.message, retry_at)
        }
    };
    match recorded {
        Ok(true) => {}
        Ok(false) => log::warn!(
            "mail {}: the lease ran out before the outcome was recorded; another server took it over",
            mail.id
        ),
        // The lease runs out and the message is tried again: sent twice at worst, never lost.
        Err(error) => log::error!("mail {}: cannot record the outcome: {error}", mail.id),
    }
}

/// The message as SMTP sends it: the HTML body, then each attachment.
fn build(mailer: &Mailer, mail: &outbox::Mail) -> Result<Message, Failed> {
    let permanent = |message: String| Failed {
        message,
        permanent: true,
    };
    let content: Content = serde_json::from_str(&mail.content)
        .map_err(|e| permanent(format!("unreadable message: {e}")))?;
    let mut builder = Message::builder()
        .from(mailer.from.clone())
        .subject(mail.subject.clone());
    for to in mail.recipients() {
        let address: Mailbox = to
            .parse()
            .map_err(|e| permanent(format!("{to:?} is not an address: {e}")))?;
        builder = builder.to(address);
    }
    let mut body = MultiPart::mixed().singlepart(SinglePart::html(content.html));
    for file in content.attachments {
        let kind = ContentType::parse(&file.content_type)
            .map_err(|e| permanent(format!("bad content type {:?}: {e}", file.content_type)))?;
        body = body.singlepart(Attachment::new(file.filename).body(file.content, kind));
    }
    builder
        .multipart(body)
        .map_err(|e| permanent(format!("cannot build the message: {e}")))
}
