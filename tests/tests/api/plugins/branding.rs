//! The branding plugin: own values, inheritance field by field, moves, reset, images.

use serde_json::{Value, json};
use tenantry_tests::TestServer;

use crate::isolation::png;

fn effective(server: &TestServer, group: i64) -> Value {
    server
        .get(&format!("/api/v1/groups/{group}/branding/effective"))
        .expect(200)
        .body
}

#[test]
fn branding_is_inherited_field_by_field_and_follows_a_move() {
    let server = TestServer::start();
    let sub = server.create_group("Sub", 1, "sub_distributor");
    let reseller_a = server.create_group("Reseller A", sub, "reseller");
    let reseller_b = server.create_group("Reseller B", sub, "reseller");
    let customer = server.create_group("Customer", reseller_a, "end_customer");
    server
        .put(
            "/api/v1/groups/1/branding",
            json!({"company_name": "Root Backup", "main_color": "#112233",
                   "navigation_text_color": "#ffffff"}),
        )
        .expect(200);
    server
        .put(
            &format!("/api/v1/groups/{sub}/branding"),
            json!({"company_name": "Sub Backup"}),
        )
        .expect(200);
    server
        .put(
            &format!("/api/v1/groups/{reseller_a}/branding"),
            json!({"main_color": "#aa0000"}),
        )
        .expect(200);

    // Three levels: the name from Sub, the main colour from Reseller A, the text colour from
    // the root.
    let seen = effective(&server, customer);
    assert_eq!(seen["fields"]["company_name"]["value"], "Sub Backup");
    assert_eq!(seen["fields"]["company_name"]["source_group_id"], sub);
    assert_eq!(seen["fields"]["main_color"]["value"], "#aa0000");
    assert_eq!(seen["fields"]["main_color"]["source_group_id"], reseller_a);
    assert_eq!(seen["fields"]["navigation_text_color"]["value"], "#ffffff");
    assert_eq!(
        seen["fields"]["navigation_text_color"]["source_group_id"],
        1
    );
    assert_eq!(seen["fields"]["support_url"]["value"], Value::Null);

    // Overriding one field on the customer leaves the others inherited.
    server
        .put(
            &format!("/api/v1/groups/{customer}/branding"),
            json!({"main_color": "#00ff00"}),
        )
        .expect(200);
    let seen = effective(&server, customer);
    assert_eq!(seen["fields"]["main_color"]["value"], "#00ff00");
    assert_eq!(seen["fields"]["main_color"]["inherited"], false);
    assert_eq!(seen["fields"]["company_name"]["value"], "Sub Backup");

    // Moved under another reseller, it inherits from its new ancestors.
    server
        .put(
            &format!("/api/v1/groups/{reseller_b}/branding"),
            json!({"company_name": "B Backup"}),
        )
        .expect(200);
    server
        .patch(
            &format!("/api/v1/groups/{customer}"),
            json!({"parent_id": reseller_b}),
        )
        .expect(200);
    let seen = effective(&server, customer);
    assert_eq!(seen["fields"]["company_name"]["value"], "B Backup");
    assert_eq!(
        seen["fields"]["company_name"]["source_group_id"],
        reseller_b
    );

    // Reset: its own values go, and everything is inherited again.
    server
        .delete(&format!("/api/v1/groups/{customer}/branding"))
        .expect(204);
    let own = server
        .get(&format!("/api/v1/groups/{customer}/branding"))
        .expect(200);
    assert_eq!(own.body["values"]["main_color"], Value::Null);
    let seen = effective(&server, customer);
    assert_eq!(seen["fields"]["main_color"]["value"], "#112233");
    assert_eq!(seen["fields"]["main_color"]["source_group_id"], 1);
}

#[test]
fn a_customer_sees_inherited_branding_without_the_groups_above_it() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    server
        .put(
            "/api/v1/groups/1/branding",
            json!({"product_name": "Root Cloud"}),
        )
        .expect(200);
    let (_, token) = server.create_user(acme, "ann@acme.example", "supporter", false);
    let seen = server
        .with_token(&token)
        .get(&format!("/api/v1/groups/{acme}/branding/effective"))
        .expect(200);
    assert_eq!(seen.body["fields"]["product_name"]["value"], "Root Cloud");
    assert_eq!(seen.body["fields"]["product_name"]["inherited"], true);
    assert_eq!(
        seen.body["fields"]["product_name"]["source_group_id"],
        Value::Null
    );
    // Reading is for everyone; changing is for SuperUsers and Administrators.
    server
        .with_token(&token)
        .put(
            &format!("/api/v1/groups/{acme}/branding"),
            json!({"product_name": "Mine"}),
        )
        .expect_error(403, "forbidden");
}

#[test]
fn bad_values_are_refused_by_field() {
    let server = TestServer::start();
    for (field, value) in [
        ("main_color", "red"),
        ("navigation_text_color", "#12345"),
        ("support_email", "nobody"),
        ("support_url", "ftp://x.example"),
    ] {
        let reply = server
            .put("/api/v1/groups/1/branding", json!({ field: value }))
            .expect_error(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], field);
    }
    server
        .put("/api/v1/groups/1/branding", json!({"colour": "#123456"}))
        .expect_error(422, "validation_failed");
}

#[test]
fn logos_are_checked_stored_and_inherited() {
    let server = TestServer::start();
    let acme = server.create_group("Acme", 1, "reseller");
    let root = server.with_token(&server.token);
    let stored = root
        .raw("PUT", "/api/v1/groups/1/branding/logo", "image/png", &png())
        .expect(200);
    assert_eq!(stored.body["width"], 64.0);
    let logo = server
        .get(&format!("/api/v1/groups/{acme}/branding/logo"))
        .expect(200);
    assert_eq!(logo.header("content-type"), Some("image/png"));
    let seen = effective(&server, acme);
    assert_eq!(seen["logo"]["inherited"], true);
    assert_eq!(seen["logo"]["source_group_id"], 1);

    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="30"><rect width="5" height="5"/></svg>"#;
    root.raw(
        "PUT",
        &format!("/api/v1/groups/{acme}/branding/logo"),
        "image/svg+xml",
        svg,
    )
    .expect(200);
    let logo = server
        .get(&format!("/api/v1/groups/{acme}/branding/logo"))
        .expect(200);
    assert_eq!(logo.header("content-type"), Some("image/svg+xml"));
    assert_eq!(logo.text.as_bytes(), svg);

    let scripted = br#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="30"><script>alert(1)</script></svg>"#;
    root.raw(
        "PUT",
        &format!("/api/v1/groups/{acme}/branding/logo"),
        "image/svg+xml",
        scripted,
    )
    .expect_error(422, "validation_failed");
    // 3,500 nested groups (25 kB) once overflowed a worker's stack and aborted the server.
    let deep = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="30">{}{}</svg>"#,
        "<g>".repeat(3500),
        "</g>".repeat(3500)
    );
    for image in ["logo", "favicon"] {
        root.raw(
            "PUT",
            &format!("/api/v1/groups/{acme}/branding/{image}"),
            "image/svg+xml",
            deep.as_bytes(),
        )
        .expect_error(422, "validation_failed");
    }
    server.get("/healthz").expect(200);
    root.raw(
        "PUT",
        &format!("/api/v1/groups/{acme}/branding/logo"),
        "image/gif",
        b"GIF89a",
    )
    .expect_error(415, "unsupported_media_type");
    let mut huge = png();
    huge.resize(600 * 1024, 0);
    root.raw(
        "PUT",
        &format!("/api/v1/groups/{acme}/branding/favicon"),
        "image/png",
        &huge,
    )
    .expect_error(413, "payload_too_large");
    // Past what the host reads for any image: refused by the host, as problem+json too.
    huge.resize(3 << 20, 0);
    let refused = root
        .raw(
            "PUT",
            &format!("/api/v1/groups/{acme}/branding/logo"),
            "image/png",
            &huge,
        )
        .expect_error(413, "payload_too_large");
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    // The refused uploads changed nothing.
    let logo = server
        .get(&format!("/api/v1/groups/{acme}/branding/logo"))
        .expect(200);
    assert_eq!(logo.text.as_bytes(), svg);
}

/// `PATCH` changes the fields it names and keeps the others, also when two changes of different
/// fields race: neither is lost (as one would be by reading and then replacing).
#[test]
fn changes_to_different_fields_at_once_are_both_kept() {
    use std::sync::Arc;

    use crate::races::{Contender, race};
    let server = Arc::new(TestServer::start());
    for round in 0..5 {
        let group = server.create_group(&format!("Brand Race {round}"), 1, "reseller");
        let path = format!("/api/v1/groups/{group}/branding");
        server
            .patch(&path, json!({"support_phone": "+1 555 0100"}))
            .expect(200);
        let contenders: Vec<Contender<u16>> = [
            json!({"company_name": "Acme"}),
            json!({"main_color": "#112233"}),
            json!({"support_email": "help@acme.example"}),
        ]
        .into_iter()
        .map(|body| {
            let (server, path) = (Arc::clone(&server), path.clone());
            Box::new(move || server.patch(&path, body).status) as Contender<u16>
        })
        .collect();
        assert_eq!(race(contenders), [200, 200, 200], "round {round}");
        let values = server.get(&path).expect(200).body["values"].clone();
        assert_eq!(values["company_name"], "Acme", "round {round}: {values}");
        assert_eq!(values["main_color"], "#112233", "round {round}: {values}");
        assert_eq!(
            values["support_email"], "help@acme.example",
            "round {round}: {values}"
        );
        assert_eq!(
            values["support_phone"], "+1 555 0100",
            "round {round}: {values}"
        );
    }
    // A field set to null inherits again; an unknown field is refused.
    let group = server.create_group("Brand Nulls", 1, "reseller");
    let path = format!("/api/v1/groups/{group}/branding");
    server
        .patch(
            &path,
            json!({"company_name": "Acme", "product_name": "Vault"}),
        )
        .expect(200);
    let after = server
        .patch(&path, json!({"company_name": null}))
        .expect(200);
    assert_eq!(after.body["values"]["company_name"], Value::Null);
    assert_eq!(after.body["values"]["product_name"], "Vault");
    server
        .patch(&path, json!({"colour": "red"}))
        .expect_error(422, "validation_failed");
}

/// Stored values that no longer read are the plugin's fault, answered as such: never taken for
/// "nothing set", and never overwritten with the request's fields over defaults.
#[test]
fn unreadable_stored_branding_is_an_error_not_a_blank() {
    use diesel::RunQueryDsl;
    let server = TestServer::start();
    let acme = server.create_group("Acme Stored", 1, "reseller");
    server
        .put(
            &format!("/api/v1/groups/{acme}/branding"),
            json!({"company_name": "Acme", "main_color": "#112233"}),
        )
        .expect(200);
    let storage = crate::groups::delete::storage_of(&server);
    let corrupt = format!(
        "UPDATE plugin_records SET data = '\"not an object\"' \
         WHERE plugin = 'branding' AND collection = 'values' AND group_id = {acme}"
    );
    storage
        .write(|w| Ok(diesel::sql_query(&corrupt).execute(w.conn())?))
        .unwrap();
    server
        .patch(
            &format!("/api/v1/groups/{acme}/branding"),
            json!({"support_phone": "+1 555 0100"}),
        )
        .expect_error(500, "plugin_failed");
    server
        .get(&format!("/api/v1/groups/{acme}/branding/effective"))
        .expect_error(500, "plugin_failed");
    let kept: Vec<String> = storage
        .read(|c| {
            #[derive(diesel::QueryableByName)]
            struct Data {
                #[diesel(sql_type = diesel::sql_types::Text)]
                data: String,
            }
            let rows: Vec<Data> = diesel::sql_query(format!(
                "SELECT data FROM plugin_records WHERE plugin = 'branding' \
                 AND collection = 'values' AND group_id = {acme}"
            ))
            .load(c)?;
            Ok(rows.into_iter().map(|r| r.data).collect())
        })
        .unwrap();
    assert_eq!(kept, ["\"not an object\""], "nothing written over it");
}
