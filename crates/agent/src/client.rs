//! The HTTP side: one request at a time to the server's `/api/v1`, the bearer token, error
//! bodies turned into [`AgentError`]s, `--verbose` showing the exchange on stderr, and lists
//! followed through their cursors.

use std::time::Duration;

use serde_json::{Value, json};

use crate::error::AgentError;

#[derive(Debug)]
pub struct Client {
    base: String,
    token: Option<String>,
    verbose: bool,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(server: &str, token: Option<String>, verbose: bool) -> Client {
        Client {
            base: server.trim_end_matches('/').to_owned(),
            token,
            verbose,
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(120))
                .user_agent(concat!("tenantry/", env!("CARGO_PKG_VERSION")))
                .build(),
        }
    }

    pub fn server(&self) -> &str {
        &self.base
    }

    /// `method` on `/api/v1{path}` with an optional JSON body; the answer's JSON (`null` for
    /// 204).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, AgentError> {
        self.exchange(method, path, body, None)
            .map(|(answer, _)| answer)
    }

    /// As [`Client::call`], conditional on `if_match` (an `ETag`); answers the JSON and the
    /// answer's `ETag`.
    pub fn exchange(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<(Value, Option<String>), AgentError> {
        let payload = match body {
            Some(body) => Payload::Json(body),
            None => Payload::None,
        };
        let headers: Vec<(&str, &str)> = if_match
            .map(|etag| ("If-Match", etag))
            .into_iter()
            .collect();
        let answer = self.send(method, &self.api(path), payload, &headers)?;
        Ok((answer.json()?, answer.etag))
    }

    /// A path outside `/api/v1` (`/healthz`).
    pub fn call_outside_api(&self, method: &str, path: &str) -> Result<Value, AgentError> {
        let url = format!("{}{path}", self.base);
        self.send(method, &url, Payload::None, &[])?.json()
    }

    /// A `GET` outside `/api/v1` whose answer is bytes (`/metrics`).
    pub fn bytes_outside_api(&self, path: &str) -> Result<Vec<u8>, AgentError> {
        let url = format!("{}{path}", self.base);
        Ok(self.send("GET", &url, Payload::None, &[])?.body)
    }

    /// A `GET` whose answer is bytes (an installer, an image, a chart), kept as they came, asked
    /// for as `accept` (a chart comes as JSON unless SVG is asked for).
    pub fn bytes(&self, path: &str, accept: &str) -> Result<Vec<u8>, AgentError> {
        Ok(self
            .send("GET", &self.api(path), Payload::None, &[("Accept", accept)])?
            .body)
    }

    /// Sends raw bytes (an image) with their content type; answers the JSON.
    pub fn upload(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<Value, AgentError> {
        let payload = Payload::Bytes(content_type, bytes);
        self.send(method, &self.api(path), payload, &[])?.json()
    }

    fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// The one exchange every request goes through: the bearer token, `If-Match`, the body,
    /// `--verbose`, and error bodies turned into errors.
    fn send(
        &self,
        method: &str,
        url: &str,
        payload: Payload<'_>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, AgentError> {
        let mut request = self.agent.request(method, url);
        if let Some(token) = &self.token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.set(name, value);
        }
        if self.verbose {
            eprintln!("> {method} {url}");
            match payload {
                Payload::Json(body) => eprintln!("> {body}"),
                Payload::Bytes(kind, bytes) => eprintln!("> ({kind}, {} bytes)", bytes.len()),
                Payload::None => {}
            }
        }
        let result = match payload {
            Payload::None => request.call(),
            Payload::Json(body) => request.send_json(body),
            Payload::Bytes(kind, bytes) => request.set("Content-Type", kind).send_bytes(bytes),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(ureq::Error::Transport(e)) => return Err(AgentError::Transport(e.to_string())),
        };
        let status = response.status();
        let etag = response.header("ETag").map(str::to_owned);
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut body)
            .map_err(|e| AgentError::Transport(format!("cannot read the answer: {e}")))?;
        if self.verbose {
            eprintln!("< {status}");
            match std::str::from_utf8(&body) {
                Ok("") => {}
                Ok(text) => eprintln!("< {text}"),
                Err(_) => eprintln!("< ({} bytes)", body.len()),
            }
        }
        if !(200..300).contains(&status) {
            return Err(AgentError::from_body(
                status,
                &String::from_utf8_lossy(&body),
            ));
        }
        Ok(Answer { etag, body })
    }

    pub fn get(&self, path: &str) -> Result<Value, AgentError> {
        self.call("GET", path, None)
    }

    /// Every item of a list (`items`, `next_cursor`), page after page, up to `limit` items
    /// when given; answered in the API's own page shape.
    pub fn list(&self, path: &str, limit: Option<usize>) -> Result<Value, AgentError> {
        let mut items: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        let separator = if path.contains('?') { '&' } else { '?' };
        loop {
            let want = limit.map_or(500, |l| (l - items.len()).clamp(1, 500));
            let mut page_path = format!("{path}{separator}limit={want}");
            if let Some(cursor) = &cursor {
                page_path.push_str(&format!("&cursor={cursor}"));
            }
            let page = self.get(&page_path)?;
            if let Some(found) = page.get("items").and_then(Value::as_array) {
                items.extend(found.iter().cloned());
            }
            cursor = page
                .get("next_cursor")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let full = limit.is_some_and(|l| items.len() >= l);
            if cursor.is_none() || full {
                return Ok(json!({
                    "items": items,
                    "has_more": cursor.is_some(),
                    "next_cursor": cursor,
                }));
            }
        }
    }
}

/// What a request carries.
#[derive(Clone, Copy)]
enum Payload<'a> {
    None,
    Json(&'a Value),
    /// Raw bytes and their content type.
    Bytes(&'a str, &'a [u8]),
}

/// A successful answer.
struct Answer {
    etag: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    /// The body as JSON; `null` for none (204).
    fn json(&self) -> Result<Value, AgentError> {
        if self.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| AgentError::Transport(format!("the answer is not JSON: {e}")))
    }
}
