//! A customer tree as a file: `POST /groups/{id}/import` and `GET /groups/{id}/export`.

use serde_json::Value;
use tenantry_tests::{Reply, TestServer};

use super::group_count;

const HEADER: &str = "name,parent,level,service_type,state,trial_expires_at,customer_reference,\
automatic_deployment,company.legal_name,company.website,company.phone,company.fax,\
company.vat_number,company.chamber_of_commerce_number,company.bank_account,company.street,\
company.city,company.district,company.state,company.zip,company.country,company.billing_contact";

fn import(server: &TestServer, into: i64, file: &str, dry_run: bool) -> Reply {
    server.with_token(&server.token).raw(
        "POST",
        &format!("/api/v1/groups/{into}/import?dry_run={dry_run}"),
        "text/csv",
        file.as_bytes(),
    )
}

/// Every problem of a refused import as `(line, field)`.
fn problems(reply: &Reply) -> Vec<(u64, String)> {
    reply.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {}", reply.text))
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap_or(0),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn an_imported_tree_exports_as_the_same_file() {
    let server = TestServer::start();
    let top = server.create_group("Northwind", 1, "sub_distributor");
    // Every column, parents before children, and cells that need care: a quoted comma, a
    // formula, a phone number a spreadsheet would read as one, an expiry, a flag.
    let file = format!(
        "{HEADER}\n\
         Contoso,Northwind,reseller,all_inclusive,production,,R-100,false,\"Contoso, Inc.\",https://contoso.example,'+31 20 555 0100,,NL001,,,Main St 1,Utrecht,,,3511,NL,billing@contoso.example\n\
         Fabrikam,Contoso,end_customer,software_only,trial,2027-01-31T00:00:00Z,,true,,,,,,,,,,,,,,\n\
         Fabrikam HQ,Fabrikam,site,all_inclusive,not_active,,,false,,,,,,,,,,,,,,\n\
         '=Litware,Contoso,end_customer,all_inclusive,production,,,false,,,,,,,,,,,,,,\n\
         Tailspin,Northwind,reseller,all_inclusive,production,,,false,,,,,,,,,,,,,,\n"
    );
    let report = import(&server, top, &file, false).expect(201);
    assert_eq!(report.body["dry_run"], false);
    assert_eq!(report.body["created"], 5);
    let made = report.body["groups"].as_array().unwrap();
    let lines: Vec<u64> = made.iter().map(|g| g["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6]);
    let contoso = made[0]["id"].as_i64().unwrap();
    assert_eq!(made[0]["parent_id"], top);
    assert_eq!(made[1]["parent_id"], contoso);
    assert_eq!(
        made[3]["name"], "=Litware",
        "the defusing quote is not part of the name"
    );

    let fabrikam = server
        .get(&format!("/api/v1/groups/{}", made[1]["id"]))
        .expect(200);
    assert_eq!(fabrikam.body["service_type"], "software_only");
    assert_eq!(fabrikam.body["trial_expires_at"], "2027-01-31T00:00:00Z");
    assert_eq!(fabrikam.body["automatic_deployment"], true);
    let company = server
        .get(&format!("/api/v1/groups/{contoso}/company"))
        .expect(200);
    assert_eq!(company.body["legal_name"], "Contoso, Inc.");
    assert_eq!(company.body["phone"], "+31 20 555 0100");
    assert_eq!(company.body["fax"], Value::Null);

    let export = server
        .get(&format!("/api/v1/groups/{top}/export"))
        .expect(200);
    assert_eq!(
        export.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(export.text, file, "the export is the file imported");
}

#[test]
fn every_problem_comes_back_with_its_line_and_nothing_is_written() {
    let server = TestServer::start();
    let top = server.create_group("Top", 1, "sub_distributor");
    let before = group_count(&server);
    let file = "name,parent,level\n\
                Good,Top,reseller\n\
                GOOD,Top,reseller\n\
                Orphan,Nowhere,site\n\
                Bad level,Top,resellr\n\
                Short,Top\n\
                Under good,Good,site\n";
    for dry_run in [true, false] {
        let refused = import(&server, top, file, dry_run).expect_error(422, "validation_failed");
        assert_eq!(
            problems(&refused),
            [
                (3, "name".to_owned()),
                (4, "parent".to_owned()),
                (5, "level".to_owned()),
                (6, "row".to_owned()),
                (6, "level".to_owned()),
            ]
        );
    }
    assert_eq!(
        group_count(&server),
        before,
        "a refused import writes nothing"
    );

    let fixed = "name,parent,level\nGood,Top,reseller\nUnder good,Good,site\n";
    let rehearsed = import(&server, top, fixed, true).expect(200);
    assert_eq!(rehearsed.body["dry_run"], true);
    assert_eq!(rehearsed.body["created"], 2);
    assert_eq!(rehearsed.body["groups"][1]["id"], Value::Null);
    assert_eq!(group_count(&server), before, "a dry run writes nothing");
    import(&server, top, fixed, false).expect(201);
    assert_eq!(group_count(&server), before + 2);
}

#[test]
fn a_parent_outside_the_subtree_is_no_parent() {
    let server = TestServer::start();
    let top = server.create_group("Top", 1, "sub_distributor");
    server.create_group("Elsewhere", 1, "sub_distributor");
    let message = |parent: &str| {
        let file = format!("name,parent,level\nNew,{parent},site\n");
        let refused = import(&server, top, &file, false).expect_error(422, "validation_failed");
        refused.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace(parent, "X")
    };
    assert_eq!(message("Elsewhere"), message("Ghost"));
    // Its name is taken all the same: names are unique across the installation.
    let file = "name,parent,level\nElsewhere,Top,site\n";
    let refused = import(&server, top, file, false).expect_error(422, "validation_failed");
    assert_eq!(problems(&refused), [(2, "name".to_owned())]);
}

#[test]
fn files_that_cannot_be_read_are_refused_clearly() {
    let server = TestServer::start();
    let top = server.create_group("Top", 1, "sub_distributor");
    server
        .raw(
            "POST",
            &format!("/api/v1/groups/{top}/import"),
            "application/json",
            "{}",
        )
        .expect_error(415, "unsupported_media_type");
    let header_only =
        import(&server, top, "name,parent,level\n", false).expect_error(422, "validation_failed");
    assert_eq!(header_only.body["errors"][0]["field"], "file");
    let bad_header = import(&server, top, "name,parent,colour\nA,Top,red\n", false)
        .expect_error(422, "validation_failed");
    assert_eq!(
        problems(&bad_header),
        [(1, "header".to_owned()), (1, "header".to_owned())],
        "the unknown column and the missing one"
    );
    import(&server, 987_654, "name,parent,level\nA,Top,site\n", false)
        .expect_error(404, "not_found");
    let export = server.get("/api/v1/groups/987654/export");
    assert_eq!((export.status, export.code()), (404, "not_found"));
    // A spreadsheet's file: a byte order mark and semicolons.
    let file = "\u{feff}name;parent;level\nSemi;Top;site\n";
    import(&server, top, file, false).expect(201);
}

/// A row with no parent goes under the group the file is imported into; a failed row's
/// children still have their levels checked, so one answer holds every problem; and a row's
/// line is the file's line, in a problem and in the result alike (a blank line counts).
#[test]
fn blank_parents_go_under_the_target_and_every_problem_comes_at_once() {
    let server = TestServer::start();
    let into = server.create_group("Into Reseller", 1, "reseller");
    let file = "name,parent,level,state,company.street\n\
                Blank Customer,,end_customer,,Main Street 1\n\n\
                Blank Site,Blank Customer,site,,\n";
    let made = import(&server, into, file, false).expect(201);
    let groups = made.body["groups"].as_array().unwrap();
    assert_eq!(groups[0]["parent_id"], into);
    assert_eq!(groups[0]["line"], 2);
    assert_eq!(groups[1]["line"], 4, "after a blank line");

    let file = "name,parent,level,state,company.street\n\
                Broken,,end_customer,bogus,\n\n\
                Wrong Child,Broken,reseller,,\n";
    let refused = import(&server, into, file, false).expect_error(422, "validation_failed");
    assert_eq!(
        problems(&refused),
        [(2, "state".to_owned()), (4, "level".to_owned())]
    );
}
