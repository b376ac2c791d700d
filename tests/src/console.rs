//! A browser's view of the web console over plain HTTP: a session cookie, the page's CSRF token,
//! no redirects followed (the tests look at them).

use std::time::Duration;

use crate::http::Reply;
use crate::server::TestServer;

/// A signed-in console session.
#[derive(Debug)]
pub struct Console<'a> {
    server: &'a TestServer,
    agent: ureq::Agent,
    pub cookie: String,
    pub csrf: String,
}

/// A client that follows no redirect.
fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(60))
        .build()
}

fn reply(result: Result<ureq::Response, ureq::Error>) -> Reply {
    match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => Reply::from_response(response),
        Err(error) => panic!("request failed: {error}"),
    }
}

/// The form encoding of `fields`.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `POST /login` with the form, following nothing.
pub fn login_form(server: &TestServer, group: &str, username: &str, password: &str) -> Reply {
    login_form_at(server, "/login", group, username, password)
}

/// The same, posted to another login page (a white-label address, `/login/{address}`).
pub fn login_form_at(
    server: &TestServer,
    page: &str,
    group: &str,
    username: &str,
    password: &str,
) -> Reply {
    reply(
        agent()
            .post(&server.url(page))
            .set("Content-Type", "application/x-www-form-urlencoded")
            .send_string(&form(&[
                ("group", group),
                ("username", username),
                ("password", password),
            ])),
    )
}

impl<'a> Console<'a> {
    /// Logs in through the login form and reads the CSRF token off the first page.
    #[track_caller]
    pub fn login(server: &'a TestServer, group: &str, username: &str, password: &str) -> Self {
        let answer = login_form(server, group, username, password);
        assert_eq!(answer.status, 303, "login refused: {}", answer.text);
        let set_cookie = answer.header("set-cookie").unwrap_or_default();
        let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
        let mut console = Console {
            server,
            agent: agent(),
            cookie,
            csrf: String::new(),
        };
        let page = console.get("/overview");
        assert_eq!(page.status, 200, "{}", page.text);
        console.csrf = csrf_of(&page.text);
        console
    }

    pub fn get(&self, path: &str) -> Reply {
        reply(
            self.agent
                .get(&self.server.url(path))
                .set("Cookie", &self.cookie)
                .call(),
        )
    }

    /// A `GET` with more headers (`If-None-Match`, …).
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .agent
            .get(&self.server.url(path))
            .set("Cookie", &self.cookie);
        for (name, value) in headers {
            request = request.set(name, value);
        }
        reply(request.call())
    }

    /// A form post as htmx makes it: with the CSRF header.
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_with(path, fields, &self.csrf)
    }

    /// A form post with the given CSRF token (empty: none).
    pub fn post_with(&self, path: &str, fields: &[(&str, &str)], csrf: &str) -> Reply {
        let mut request = self
            .agent
            .post(&self.server.url(path))
            .set("Cookie", &self.cookie)
            .set("HX-Request", "true")
            .set("Content-Type", "application/x-www-form-urlencoded");
        if !csrf.is_empty() {
            request = request.set("X-CSRF-Token", csrf);
        }
        reply(request.send_string(&form(fields)))
    }
}

/// The CSRF token a page hands htmx (`hx-headers` on its body).
#[track_caller]
pub fn csrf_of(page: &str) -> String {
    let marker = "\"X-CSRF-Token\": \"";
    let start = page.find(marker).expect("the page carries no CSRF token") + marker.len();
    page[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The web console's route table, as the server binary lists it (`tenantry-server routes`).
pub fn routes() -> Vec<(String, String)> {
    let output = std::process::Command::new(crate::server::binary())
        .arg("routes")
        .output()
        .expect("cannot run tenantry-server routes");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
        .collect()
}
