mod ancestors;
mod children;
mod company;
mod create;
pub mod delete;
mod descendants;
mod get;
mod import;
mod modules;
mod moves;
mod update;

use tenantry_tests::{Reply, TestServer};

/// How many groups the caller sees below the root (to prove a refused change wrote nothing).
pub fn group_count(server: &TestServer) -> usize {
    let mut count = 0;
    let mut cursor = String::new();
    loop {
        let page = server
            .get(&format!("/api/v1/groups/1/descendants?limit=500{cursor}"))
            .expect(200);
        count += page.body["items"].as_array().unwrap().len();
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return count,
        }
    }
}

/// The names of a page's groups, in order.
pub fn names(reply: &Reply) -> Vec<String> {
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}
