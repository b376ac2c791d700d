use std::collections::HashMap;

use tenantry_tests::TestServer;

/// The newer manual page's table, as the API must report it.
const MATRIX: [(&str, [bool; 5]); 9] = [
    ("quick_installation", [false, false, true, true, true]),
    ("profiles", [true; 5]),
    ("retention_policies", [true; 5]),
    ("dashboard", [true; 5]),
    ("customers", [true, true, true, true, false]),
    ("users", [true; 5]),
    ("downloads", [true; 5]),
    ("historical_charts", [true; 5]),
    ("scheduled_reports", [true; 5]),
];

#[test]
fn every_level_reports_its_row_of_the_matrix() {
    let server = TestServer::start();
    let sub = server.create_group("Sub", 1, "sub_distributor");
    let reseller = server.create_group("Res", sub, "reseller");
    let customer = server.create_group("Cust", reseller, "end_customer");
    let site = server.create_group("Site", customer, "site");
    for (column, (group, level)) in [
        (1, "distributor"),
        (sub, "sub_distributor"),
        (reseller, "reseller"),
        (customer, "end_customer"),
        (site, "site"),
    ]
    .into_iter()
    .enumerate()
    {
        let reply = server
            .get(&format!("/api/v1/groups/{group}/modules"))
            .expect(200);
        assert_eq!(reply.body["level"], level);
        let got: HashMap<String, bool> = reply.body["modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["module"].as_str().unwrap().to_owned(),
                    m["available"].as_bool().unwrap(),
                )
            })
            .collect();
        // The manual's modules, and the one the test plugin `notes` declares.
        assert_eq!(got.len(), MATRIX.len() + 1);
        assert_eq!(got["notes"], level != "site", "notes at {level}");
        for (module, row) in MATRIX {
            assert_eq!(got[module], row[column], "{module} at {level}");
        }
    }
}
