//! A real SMTP server on 127.0.0.1 for tests of mail: Python's `aiosmtpd` running
//! `tests/smtp_sink.py` (installed by `cargo xtask test`), which writes every message it accepts
//! to a file as a JSON line. Stopped on drop.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

static NEXT: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug)]
pub struct SmtpSink {
    child: Child,
    // Held open: the sink stops when it closes (if this process dies without dropping it).
    _stdin: Option<ChildStdin>,
    port: u16,
    messages: PathBuf,
}

impl SmtpSink {
    /// A sink that accepts every message.
    pub fn start() -> SmtpSink {
        SmtpSink::start_refusing(0, 451)
    }

    /// A sink that answers the first `n` messages with `code` (4xx: try later; 5xx: never).
    pub fn start_refusing(n: usize, code: u16) -> SmtpSink {
        SmtpSink::spawn(n, code, "")
    }

    /// A sink that refuses every recipient at `domain` (550, no such user) and accepts the rest.
    pub fn start_refusing_domain(domain: &str) -> SmtpSink {
        SmtpSink::spawn(0, 451, domain)
    }

    fn spawn(n: usize, code: u16, refuse_domain: &str) -> SmtpSink {
        let tag = format!(
            "{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let messages = std::env::temp_dir().join(format!("tenantry-smtp-{tag}.jsonl"));
        let _ = std::fs::remove_file(&messages);
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("smtp_sink.py");
        // The system's Python, where Debian's python3-aiosmtpd is (not a pyenv `python3` that
        // may come first in PATH); as `cargo xtask test` checks.
        let python = if std::path::Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3"
        } else {
            "python3"
        };
        let mut child = Command::new(python)
            .arg(&script)
            .arg(&messages)
            .args(["--refuse-first", &n.to_string()])
            .args(["--refuse-code", &code.to_string()])
            .args(["--refuse-domain", refuse_domain])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python} {}: {e}", script.display()));
        let stdin = child.stdin.take();
        let mut line = String::new();
        let read = child
            .stdout
            .take()
            .map(|out| BufReader::new(out).read_line(&mut line));
        let port = line
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "the SMTP sink did not start ({read:?}, said {line:?}); is python3-aiosmtpd \
                     installed? `cargo xtask test` installs it"
                )
            });
        SmtpSink {
            child,
            _stdin: stdin,
            port,
            messages,
        }
    }

    /// The URL a server sends through (`mail.smtp_url`).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages accepted so far, oldest first.
    pub fn messages(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.messages)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Waits until at least `n` messages arrived (failing the test after `timeout`).
    #[track_caller]
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                start.elapsed() < timeout,
                "{} of {n} messages arrived within {timeout:?}",
                messages.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.messages);
    }
}

/// A message's part with this file name, as text.
pub fn attachment<'a>(message: &'a Value, filename_suffix: &str) -> Option<&'a str> {
    message["parts"].as_array()?.iter().find_map(|part| {
        part["filename"]
            .as_str()
            .filter(|name| name.ends_with(filename_suffix))
            .and(part["content"].as_str())
    })
}
