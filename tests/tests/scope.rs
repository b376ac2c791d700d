//! Tenant isolation at the storage layer: with the scope of one sibling, nothing of the other
//! sibling (or of anything above the scope) can be read, changed, moved into or counted.
//! Every storage function that takes a scope is exercised here.
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use tenantry_domain::{CompanyProfile, DomainError, Group, GroupChanges, GroupName, Level};
use tenantry_storage::groups::{self, DescendantFilter};
use tenantry_storage::{PageRequest, StoreError, devices};
use tenantry_tests::TestDatabase;
use tenantry_tests::clock::new_group;

#[track_caller]
fn not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::Domain(DomainError::NotFound { .. })) => {}
        other => panic!("expected not found, got {other:?}"),
    }
}

#[test]
fn a_scope_sees_nothing_outside_its_subtree() {
    let database = TestDatabase::fresh();
    let storage = database.storage();
    let now = Utc::now();
    let root = storage
        .write(|w| {
            groups::create_root(
                w,
                &GroupName::parse("Root").unwrap(),
                Level::Distributor,
                now,
            )
        })
        .unwrap();
    let everything = root.path.clone();
    let create = |name: &str, parent: &Group, level| {
        storage
            .write(|w| groups::create(w, &everything, new_group(name, parent.id, level), now))
            .unwrap()
            .0
    };
    let mine = create("Mine", &root, Level::SubDistributor);
    let my_reseller = create("My reseller", &mine, Level::Reseller);
    let theirs = create("Theirs", &root, Level::SubDistributor);
    let their_reseller = create("Their reseller", &theirs, Level::Reseller);
    let scope = mine.path.clone();
    let page = PageRequest::default();

    for outside in [&root, &theirs, &their_reseller] {
        let id = outside.id;
        not_found(storage.read(|c| groups::get(c, &scope, id)));
        not_found(storage.read(|c| groups::children(c, &scope, outside, &page)));
        not_found(storage.read(|c| {
            groups::descendants(c, &scope, outside, &DescendantFilter::default(), &page)
        }));
        not_found(storage.read(|c| groups::ancestors(c, &scope, id)));
        not_found(storage.read(|c| groups::get_company(c, &scope, id)));
        not_found(
            storage.write(|w| {
                groups::put_company(w, &scope, id, CompanyProfile::default(), None, now)
            }),
        );
        let rename = GroupChanges {
            name: Some(GroupName::parse(&format!("{} renamed", outside.name)).unwrap()),
            ..Default::default()
        };
        not_found(storage.write(|w| groups::update(w, &scope, id, rename, None, now)));
        not_found(storage.write(|w| groups::delete(w, &scope, id, None, now)));
        not_found(storage.write(|w| devices::add(w, &scope, id, "pc", "linux", now)));
        // Neither a new child nor a moved group may land outside the scope.
        let under = storage
            .write(|w| groups::create(w, &scope, new_group("Escapee", id, Level::Site), now));
        assert!(
            matches!(
                under,
                Err(StoreError::Domain(DomainError::InvalidParent { .. }))
            ),
            "{under:?}"
        );
        let moved = GroupChanges {
            parent_id: Some(id),
            level: Some(Level::Site),
            ..Default::default()
        };
        let moved = storage.write(|w| groups::update(w, &scope, my_reseller.id, moved, None, now));
        assert!(
            matches!(
                moved,
                Err(StoreError::Domain(DomainError::InvalidParent { .. }))
            ),
            "{moved:?}"
        );
    }

    // Inside the scope all works, and the way up stops at the scope's own group.
    let ancestors = storage
        .read(|c| groups::ancestors(c, &scope, my_reseller.id))
        .unwrap();
    assert_eq!(
        ancestors.iter().map(|g| g.id).collect::<Vec<_>>(),
        [mine.id]
    );
    let below = storage
        .read(|c| groups::descendants(c, &scope, &mine, &DescendantFilter::default(), &page))
        .unwrap();
    assert_eq!(
        below.items.iter().map(|g| g.id).collect::<Vec<_>>(),
        [my_reseller.id]
    );
    assert!(
        storage
            .write(|w| devices::add(w, &scope, my_reseller.id, "pc", "linux", now))
            .is_ok()
    );
    // Nothing outside changed.
    let untouched = storage
        .read(|c| groups::get(c, &everything, their_reseller.id))
        .unwrap();
    assert_eq!(
        (untouched.name.as_str(), untouched.parent_id),
        ("Their reseller", Some(theirs.id))
    );
}
