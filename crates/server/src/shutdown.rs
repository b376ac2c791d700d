//! Stopping without leaving a request unanswered.
//!
//! actix-web's own SIGTERM handling finishes the requests it is serving, but it drops two kinds
//! of connection a client has already sent its request on: those accepted and still queued for a
//! worker, and those the kernel has accepted into the listen queue that nobody will `accept()`
//! again (closing the listener resets them). Under load that was a few requests in every stop.
//!
//! So the server handles the signal itself: it stops accepting (workers then take up what was
//! queued for them), then stops gracefully — requests in flight finish, bounded by
//! `server.shutdown_timeout_secs` — and the connections still in the listen queue get a `503
//! unavailable` with `Retry-After` from a second handle on the listening socket: an answer that
//! says nothing was done and the client may try again. Before that queue is emptied, a packet
//! filter on the socket makes the kernel ignore new connection attempts, so that none slips in
//! between the last `accept` and the close (to be reset): their clients try again a second later
//! and find the port closed. A second signal stops at once.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use anyhow::Context;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// How long queued connections get to reach a worker once accepting has stopped: they are
/// handed over in microseconds, unless a worker is busy.
const SETTLE: Duration = Duration::from_millis(100);

/// How long a connection answered from the listen queue may take to send its request and to
/// read the answer.
const QUEUE_ANSWER_PATIENCE: Duration = Duration::from_secs(2);

/// The largest request head (and body) read from a queued connection before answering it.
const QUEUE_READ_LIMIT: usize = 1 << 20;

/// The listening sockets for `host:port` (every address the host name resolves to), and a
/// second handle on each for answering their listen queues at the stop.
pub fn listen(host: &str, port: u16) -> anyhow::Result<(Vec<TcpListener>, Vec<TcpListener>)> {
    let addresses: Vec<_> = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {host}"))?
        .collect();
    let mut listeners = Vec::new();
    let mut spares = Vec::new();
    for address in addresses {
        let listener = TcpListener::bind(address)
            .with_context(|| format!("cannot listen on {host}:{port} ({address})"))?;
        spares.push(listener.try_clone()?);
        listeners.push(listener);
    }
    anyhow::ensure!(!listeners.is_empty(), "{host} names no address");
    Ok((listeners, spares))
}

/// SIGTERM and SIGINT, listened for from start-up on (so that a failure to do so stops the
/// start, not the stop).
pub struct Signals {
    terminate: Signal,
    interrupt: Signal,
}

impl Signals {
    pub fn listen() -> anyhow::Result<Signals> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            interrupt: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        })
    }

    /// The next of either signal; answers its name.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }

    /// Waits for a signal, then stops the server as the module says; returns once the listen
    /// queues are answered (the server itself may still be finishing its requests).
    pub async fn stop_on_signal(mut self, server: ServerHandle, spares: Vec<TcpListener>) {
        let name = self.next().await;
        log::info!("{name}: stopping; the requests in flight are finished first");
        server.pause().await;
        for listener in &spares {
            if let Err(e) = ignore_new_connections(listener) {
                log::warn!("cannot close the listen queue to new connections: {e}");
            }
        }
        actix_web::rt::time::sleep(SETTLE).await;
        let stopped = server.stop(true);
        // The workers finish what they serve while a blocking thread answers the queue.
        let queue = tokio::task::spawn_blocking(move || answer_listen_queues(spares));
        tokio::select! {
            () = stopped => {}
            name = self.next() => {
                log::warn!("{name} again: stopping at once");
                server.stop(false).await;
            }
        }
        let answered = queue.await.unwrap_or(0);
        if answered > 0 {
            log::info!("answered {answered} connections of the listen queue with 503");
        }
    }
}

/// Makes the kernel drop new connection attempts (SYNs) to `listener` rather than queue them: a
/// socket filter that accepts nothing. Connections already queued stay queued.
#[cfg(target_os = "linux")]
fn ignore_new_connections(listener: &TcpListener) -> std::io::Result<()> {
    // One classic BPF instruction: BPF_RET | BPF_K with 0, "keep 0 bytes of this packet".
    const DROP_EVERYTHING: socket2::SockFilter = socket2::SockFilter::new(0x06, 0, 0, 0);
    socket2::SockRef::from(listener).attach_filter(&[DROP_EVERYTHING])
}

#[cfg(not(target_os = "linux"))]
fn ignore_new_connections(_: &TcpListener) -> std::io::Result<()> {
    Ok(())
}

/// Takes every connection waiting in the listen queues and answers it 503, then closes the
/// sockets: from then on, connections are refused. Answers how many were answered.
fn answer_listen_queues(spares: Vec<TcpListener>) -> usize {
    let mut answering = Vec::new();
    for listener in &spares {
        // Shared with the server's handle, which actix made non-blocking: `accept` ends with
        // WouldBlock once the queue is empty.
        if listener.set_nonblocking(true).is_err() {
            continue;
        }
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    answering.push(std::thread::spawn(move || answer_unavailable(stream)));
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    }
    drop(spares);
    let count = answering.len();
    for thread in answering {
        let _ = thread.join();
    }
    count
}

/// Reads the request (so that closing does not reset the connection before the client reads
/// the answer), answers `503 unavailable`, and closes.
fn answer_unavailable(mut stream: TcpStream) {
    let deadline = Instant::now() + QUEUE_ANSWER_PATIENCE;
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(QUEUE_ANSWER_PATIENCE));
    let _ = stream.set_write_timeout(Some(QUEUE_ANSWER_PATIENCE));
    let mut request = Vec::new();
    let mut buffer = [0u8; 8192];
    let mut wanted = None;
    while request.len() < QUEUE_READ_LIMIT && Instant::now() < deadline {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
        if wanted.is_none() {
            wanted = request_length(&request);
        }
        if wanted.is_some_and(|length| request.len() >= length) {
            break;
        }
    }
    let body = r#"{"type":"urn:tenantry:error:unavailable","title":"Service Unavailable","status":503,"code":"unavailable","detail":"the server is stopping; nothing was done, try again"}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         retry-after: 1\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
    // Wait for the client to close, so that nothing it still sends resets the answer.
    let deadline = Instant::now() + QUEUE_ANSWER_PATIENCE;
    while Instant::now() < deadline && matches!(stream.read(&mut buffer), Ok(n) if n > 0) {}
}

/// The length of a whole request (head and `Content-Length` body) once its head is in `bytes`.
fn request_length(bytes: &[u8]) -> Option<usize> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..end]);
    let body = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    Some(end + body)
}

#[cfg(test)]
mod tests {
    use super::request_length;

    #[test]
    fn a_request_is_whole_once_its_head_and_body_are_in() {
        assert_eq!(request_length(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
        assert_eq!(
            request_length(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(27)
        );
        assert_eq!(
            request_length(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"),
            Some(43)
        );
    }
}
