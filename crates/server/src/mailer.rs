//! The mailer: delivers the outbox (`tenantry_storage::outbox`) through the configured SMTP
//! server. It wakes every `mail.poll_seconds`, or at once when a request or a tick queued a
//! message; claims due messages with a lease (of several servers, one sends each); sends each
//! outside any transaction; and records the outcome: sent, or tried again later with back-off,
//! or failed for good (a permanent SMTP refusal, an unusable address, or the last attempt).
//!
//! One refused address does not cost the others their copy: when the server refuses a message
//! for good and it has several recipients, each is sent its own copy (the same message, every
//! address still in its `To:`), and the outcome is per address: those refused are dropped and
//! named in the message's `last_error`, those deferred are tried again later alone.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{Message, SmtpTransport, Transport};
use serde::Deserialize;
use tenantry_plugin_host::api::Attachment;
use tenantry_storage::{Storage, outbox};
use tokio::sync::Notify;

use crate::config::MailSettings;

/// What a plugin put in a message (`SendMail`), as the outbox keeps it.
#[derive(Debug, Deserialize)]
struct Content {
    html: String,
    #[serde(default)]
    attachments: Vec<Attachment>,
}

/// One attachment as SMTP carries it: a file, or (with a content id) an image the body shows.
fn part(file: Attachment) -> Result<SinglePart, Failed> {
    let permanent = Failed::permanent;
    let kind = ContentType::parse(&file.content_type)
        .map_err(|e| permanent(format!("bad content type {:?}: {e}", file.content_type)))?;
    let body = if file.base64 {
        BASE64
            .decode(file.content.as_bytes())
            .map_err(|e| permanent(format!("{} is not base64: {e}", file.filename)))?
    } else {
        file.content.into_bytes()
    };
    Ok(match file.content_id {
        Some(id) => lettre::message::Attachment::new_inline(id).body(body, kind),
        None => lettre::message::Attachment::new(file.filename).body(body, kind),
    })
}

/// Why one attempt failed, and whether trying again could help.
#[derive(Debug)]
struct Failed {
    message: String,
    permanent: bool,
}

impl Failed {
    /// A failure no retry mends: the message itself is wrong.
    fn permanent(message: String) -> Failed {
        Failed {
            message,
            permanent: true,
        }
    }
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
        // A message to many recipients may be sent to each in turn (see the module).
        lease: chrono::Duration::seconds(
            settings.timeout_seconds as i64 * (10 + outbox::MAX_RECIPIENTS as i64) + 60,
        ),
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

/// How one attempt at one message went.
#[derive(Debug, Default)]
struct Outcome {
    delivered: Vec<String>,
    /// Refused for good: (address, why).
    refused: Vec<(String, String)>,
    /// Not delivered this time, worth another try: (address, why).
    deferred: Vec<(String, String)>,
}

impl Outcome {
    fn all(recipients: Vec<String>, result: Result<(), Failed>) -> Outcome {
        match result {
            Ok(()) => Outcome {
                delivered: recipients,
                ..Outcome::default()
            },
            Err(failed) => {
                let each = recipients
                    .into_iter()
                    .map(|to| (to, failed.message.clone()))
                    .collect();
                if failed.permanent {
                    Outcome {
                        refused: each,
                        ..Outcome::default()
                    }
                } else {
                    Outcome {
                        deferred: each,
                        ..Outcome::default()
                    }
                }
            }
        }
    }

    /// What `last_error` says: who did not get it, and why.
    fn problems(&self) -> Option<String> {
        let mut parts: Vec<String> = self
            .refused
            .iter()
            .map(|(to, why)| format!("refused for {to}: {why}"))
            .collect();
        parts.extend(
            self.deferred
                .iter()
                .map(|(to, why)| format!("not yet delivered to {to}: {why}")),
        );
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Sends `mail` once to all its recipients; if the server refuses that for good and there are
/// several, once to each (see the module).
fn send(mailer: &Mailer, mail: &outbox::Mail) -> Outcome {
    let recipients = mail.recipients();
    let message = match build(mailer, mail) {
        Ok(message) => message,
        Err(failed) => return Outcome::all(recipients, Err(failed)),
    };
    let whole = mailer.transport.send(&message).map(|_| ()).map_err(failed);
    match whole {
        Err(error) if error.permanent && recipients.len() > 1 => {}
        other => return Outcome::all(recipients, other),
    }
    let bytes = message.formatted();
    let from = message.envelope().from().cloned();
    let mut outcome = Outcome::default();
    for to in recipients {
        let sent = to
            .parse::<lettre::Address>()
            .map_err(|e| Failed::permanent(format!("not an address: {e}")))
            .and_then(|address| {
                Envelope::new(from.clone(), vec![address])
                    .map_err(|e| Failed::permanent(e.to_string()))
            })
            .and_then(|envelope| {
                mailer
                    .transport
                    .send_raw(&envelope, &bytes)
                    .map(|_| ())
                    .map_err(failed)
            });
        match sent {
            Ok(()) => outcome.delivered.push(to),
            Err(error) if error.permanent => outcome.refused.push((to, error.message)),
            Err(error) => outcome.deferred.push((to, error.message)),
        }
    }
    outcome
}

fn failed(error: lettre::transport::smtp::Error) -> Failed {
    Failed {
        message: error.to_string(),
        permanent: error.is_permanent(),
    }
}

/// One attempt at one message, and its outcome recorded.
fn deliver(storage: &Storage, mailer: &Mailer, mail: &outbox::Mail) {
    let outcome = send(mailer, mail);
    let now = tenantry_storage::now();
    let problems = outcome.problems();
    let retry_at = (!outcome.deferred.is_empty())
        .then(|| {
            outbox::retry_at(
                now,
                mail.attempts + 1,
                mailer.max_attempts,
                mailer.retry_base,
            )
        })
        .flatten();
    let recorded = if let Some(at) = retry_at {
        let later: Vec<String> = outcome.deferred.iter().map(|(to, _)| to.clone()).collect();
        log::warn!(
            "mail {} ({}) attempt {}: delivered to {}, will retry {}: {}",
            mail.id,
            mail.source,
            mail.attempts + 1,
            outcome.delivered.len(),
            later.len(),
            problems.as_deref().unwrap_or_default()
        );
        outbox::attempt_failed(
            storage,
            mail,
            problems.as_deref().unwrap_or_default(),
            Some(at),
            Some(&later),
        )
    } else if outcome.delivered.is_empty() {
        log::warn!(
            "mail {} ({}) not sent (attempt {}, giving up): {}",
            mail.id,
            mail.source,
            mail.attempts + 1,
            problems.as_deref().unwrap_or_default()
        );
        outbox::attempt_failed(
            storage,
            mail,
            problems.as_deref().unwrap_or_default(),
            None,
            None,
        )
    } else {
        log::info!(
            "mail {} ({}) sent to {} recipient(s){}",
            mail.id,
            mail.source,
            outcome.delivered.len(),
            problems
                .as_deref()
                .map(|p| format!("; {p}"))
                .unwrap_or_default()
        );
        outbox::delivered(storage, mail, now, problems.as_deref())
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
    let permanent = Failed::permanent;
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
    // multipart/mixed: the body (with the images it shows, as multipart/related when it has
    // any), then the files.
    let (inline, files): (Vec<_>, Vec<_>) = content
        .attachments
        .into_iter()
        .partition(|file| file.content_id.is_some());
    let html = SinglePart::html(content.html);
    let mut body = if inline.is_empty() {
        MultiPart::mixed().singlepart(html)
    } else {
        let mut related = MultiPart::related().singlepart(html);
        for image in inline {
            related = related.singlepart(part(image)?);
        }
        MultiPart::mixed().multipart(related)
    };
    for file in files {
        body = body.singlepart(part(file)?);
    }
    builder
        .multipart(body)
        .map_err(|e| permanent(format!("cannot build the message: {e}")))
}
