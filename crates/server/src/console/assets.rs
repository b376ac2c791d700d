//! The console's static files, embedded in the binary and served under names that carry a hash
//! of their content (`console.1a2b3c4d.css`), so browsers may keep them for a year and still
//! never use a stale one after an upgrade.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

struct File {
    name: &'static str,
    bytes: &'static [u8],
    content_type: &'static str,
}

const FILES: [File; 3] = [
    File {
        name: "console.css",
        bytes: include_bytes!("../../assets/console.css"),
        content_type: "text/css; charset=utf-8",
    },
    File {
        name: "console.js",
        bytes: include_bytes!("../../assets/console.js"),
        content_type: "text/javascript; charset=utf-8",
    },
    // htmx 2.0.11 from the npm registry's `htmx.org` package, unchanged (dist/htmx.min.js).
    File {
        name: "htmx.min.js",
        bytes: include_bytes!("../../assets/htmx-2.0.11.min.js"),
        content_type: "text/javascript; charset=utf-8",
    },
];

/// Each file's served name, computed once.
static SERVED: LazyLock<Vec<String>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|file| {
            let digest = Sha256::digest(file.bytes);
            let hash: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
            match file.name.split_once('.') {
                Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
                None => format!("{}.{hash}", file.name),
            }
        })
        .collect()
});

/// The address of an embedded file, by its plain name.
pub fn url(name: &str) -> String {
    FILES
        .iter()
        .zip(SERVED.iter())
        .find(|(file, _)| file.name == name)
        .map_or_else(String::new, |(_, served)| format!("/assets/{served}"))
}

/// `GET /assets/{name}`: an embedded file by its served name.
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    let found = FILES
        .iter()
        .zip(SERVED.iter())
        .find(|(_, served)| **served == *name);
    match found {
        Some((file, _)) => HttpResponse::Ok()
            .content_type(file.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(file.bytes),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file"),
    }
}
