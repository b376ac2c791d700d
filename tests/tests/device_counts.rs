//! The devices counted per subtree (what the console's customer lists show, summed from each
//! group's own count) agree with the devices themselves after every kind of change — adds,
//! device moves, group moves, removals, a bulk seed — and after adds, moves and removals race,
//! on this run's backend.
// Tests may unwrap and expect: a panic there is a failed assertion (server code may not:
// the workspace lints deny both).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use diesel::RunQueryDsl;
use tenantry_domain::{DeviceId, Group, GroupChanges, GroupId, Level};
use tenantry_storage::devices::{self, DeviceChanges, DeviceFilter};
use tenantry_storage::{PageRequest, Storage, StoreError, groups};
use tenantry_tests::TestDatabase;
use tenantry_tests::clock::{march as at, new_group, root_group};

fn group(storage: &Storage, root: &Group, parent: GroupId, name: &str, level: Level) -> Group {
    write(storage, |w| {
        groups::create(w, &root.path, new_group(name, parent, level), at(1, 0))
            .map(|(group, _)| group)
    })
}

/// Retries a write that PostgreSQL's deadlock detector or a lock timeout turned away (the API
/// answers those 503 with `Retry-After`; the client tries again).
fn write<T>(
    storage: &Storage,
    f: impl Fn(&mut tenantry_storage::Writer<'_>) -> Result<T, StoreError>,
) -> T {
    loop {
        match storage.write(&f) {
            Err(StoreError::Busy(_)) => std::thread::sleep(std::time::Duration::from_millis(5)),
            other => return other.unwrap(),
        }
    }
}

/// Root > Left, Right (resellers); Left > Customer > Site.
struct Tree {
    root: Group,
    left: Group,
    right: Group,
    customer: Group,
    site: Group,
}

fn tree(storage: &Storage) -> Tree {
    let root = root_group(storage, at(1, 0));
    let left = group(storage, &root, root.id, "Left", Level::Reseller);
    let right = group(storage, &root, root.id, "Right", Level::Reseller);
    let customer = group(storage, &root, left.id, "Customer", Level::EndCustomer);
    let site = group(storage, &root, customer.id, "Site", Level::Site);
    Tree {
        root,
        left,
        right,
        customer,
        site,
    }
}

/// Every group's subtree count, as summed from the groups' own counts and as counted by
/// listing the devices themselves: the two must be equal.
fn assert_counts_agree(storage: &Storage, t: &Tree) {
    storage
        .read(|c| {
            let ids = [&t.root, &t.left, &t.right, &t.customer, &t.site];
            let now: Vec<Group> = ids
                .iter()
                .map(|g| groups::get(c, &t.root.path, g.id))
                .collect::<Result<_, _>>()?;
            let summed = groups::subtree_device_counts(c, &t.root.path, &now)?;
            for (group, summed) in now.iter().zip(summed) {
                let filter = DeviceFilter {
                    descendants: true,
                    ..DeviceFilter::default()
                };
                let mut listed = 0;
                let mut request = PageRequest::new(Some(500), None).unwrap();
                loop {
                    let page = devices::list(c, group, &filter, &request)?;
                    listed += page.items.len();
                    match page.next {
                        Some(next) => request = PageRequest::new(Some(500), Some(next)).unwrap(),
                        None => break,
                    }
                }
                assert_eq!(summed, i64::try_from(listed).unwrap(), "{}", group.name);
            }
            Ok(())
        })
        .unwrap();
}

fn add(storage: &Storage, t: &Tree, to: &Group, name: &str) -> DeviceId {
    DeviceId(write(storage, |w| {
        devices::add(w, &t.root.path, to.id, name, "Linux", at(1, 0))
    }))
}

fn move_device(storage: &Storage, t: &Tree, device: DeviceId, to: &Group) {
    let changes = DeviceChanges {
        group_id: Some(to.id),
        ..DeviceChanges::default()
    };
    write(storage, |w| {
        devices::update(w, &t.root.path, device, changes.clone(), None, at(9, 0))
    });
}

fn move_group(storage: &Storage, t: &Tree, moved: &Group, parent: &Group) {
    let changes = GroupChanges {
        parent_id: Some(parent.id),
        ..GroupChanges::default()
    };
    write(storage, |w| {
        groups::update(w, &t.root.path, moved.id, changes.clone(), None, at(9, 0))
    });
}

fn subtree_count(storage: &Storage, t: &Tree, group: &Group) -> i64 {
    storage
        .read(|c| {
            let group = groups::get(c, &t.root.path, group.id)?;
            groups::subtree_device_counts(c, &t.root.path, std::slice::from_ref(&group))
        })
        .unwrap()[0]
}

#[test]
fn counts_follow_every_change_of_the_devices() {
    let database = TestDatabase::fresh();
    let storage = database.storage();
    let t = tree(&storage);
    assert_counts_agree(&storage, &t);

    let a = add(&storage, &t, &t.site, "a");
    let b = add(&storage, &t, &t.site, "b");
    let c = add(&storage, &t, &t.customer, "c");
    add(&storage, &t, &t.right, "d");
    let e = add(&storage, &t, &t.root, "e");
    assert_counts_agree(&storage, &t);
    assert_eq!(subtree_count(&storage, &t, &t.left), 3);
    assert_eq!(subtree_count(&storage, &t, &t.root), 5);

    move_device(&storage, &t, b, &t.right);
    move_device(&storage, &t, e, &t.site);
    assert_counts_agree(&storage, &t);
    assert_eq!(subtree_count(&storage, &t, &t.right), 2);

    // A device "moved" to its own group changes nothing.
    move_device(&storage, &t, e, &t.site);
    assert_counts_agree(&storage, &t);

    move_group(&storage, &t, &t.customer, &t.right);
    assert_counts_agree(&storage, &t);
    assert_eq!(subtree_count(&storage, &t, &t.left), 0);
    assert_eq!(subtree_count(&storage, &t, &t.right), 5);
    move_group(&storage, &t, &t.customer, &t.left);
    assert_counts_agree(&storage, &t);

    // A move to a group that does not exist, and an add to one, change nothing.
    let nowhere = DeviceChanges {
        group_id: Some(GroupId(999_999)),
        ..DeviceChanges::default()
    };
    assert!(
        storage
            .write(|w| devices::update(w, &t.root.path, a, nowhere.clone(), None, at(9, 0)))
            .is_err()
    );
    assert!(
        storage
            .write(|w| devices::add(w, &t.root.path, GroupId(999_999), "x", "Linux", at(1, 0)))
            .is_err()
    );
    assert_counts_agree(&storage, &t);

    for device in [a, c] {
        write(&storage, |w| devices::delete(w, &t.root.path, device, None));
    }
    assert_counts_agree(&storage, &t);
    assert_eq!(subtree_count(&storage, &t, &t.root), 3);

    // The migration that brought the counts fills them from an installation's devices: from
    // the same devices, it writes exactly what was kept up to date since.
    let kept = own_counts(&storage);
    let migration = match database.url().starts_with("postgres") {
        true => include_str!(
            "../../crates/storage/migrations/postgres/2026-12-07-000013_group_own_devices/up.sql"
        ),
        false => include_str!(
            "../../crates/storage/migrations/sqlite/2026-12-07-000013_group_own_devices/up.sql"
        ),
    };
    let fill = &migration[migration.find("UPDATE groups").unwrap()..];
    write(&storage, |w| {
        diesel::sql_query("UPDATE groups SET own_devices = 0").execute(w.conn())?;
        diesel::sql_query(fill).execute(w.conn())?;
        Ok(())
    });
    assert_eq!(own_counts(&storage), kept);
}

#[derive(Debug, PartialEq, Eq, diesel::QueryableByName)]
struct OwnCount {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    own_devices: i64,
}

fn own_counts(storage: &Storage) -> Vec<OwnCount> {
    storage
        .read(|c| {
            Ok(
                diesel::sql_query("SELECT id, own_devices FROM groups ORDER BY id")
                    .load::<OwnCount>(c)?,
            )
        })
        .unwrap()
}

#[test]
fn counts_hold_when_adds_moves_and_removals_race() {
    let database = TestDatabase::fresh();
    let storage = Arc::new(database.storage());
    let t = Arc::new(tree(&storage));
    let mut fleet = Vec::new();
    for (n, place) in [&t.site, &t.customer, &t.left, &t.right]
        .iter()
        .cycle()
        .take(12)
        .enumerate()
    {
        fleet.push(add(&storage, &t, place, &format!("pc{n}")));
    }
    let fleet = Arc::new(fleet);

    let mut workers = Vec::new();
    for worker in 0..4usize {
        let (storage, t, fleet) = (storage.clone(), t.clone(), fleet.clone());
        workers.push(std::thread::spawn(move || {
            let places = [&t.site, &t.right, &t.customer, &t.left, &t.root];
            for round in 0..25usize {
                match worker {
                    // Adds to every group, and removes some of what it added.
                    0 => {
                        let added = add(&storage, &t, places[round % 5], &format!("w{round}"));
                        if round % 3 == 0 {
                            write(&storage, |w| devices::delete(w, &t.root.path, added, None));
                        }
                    }
                    // Moves the customer (and its site) between the resellers.
                    1 if round % 4 == 0 => {
                        let to = if round % 8 == 0 { &t.right } else { &t.left };
                        move_group(&storage, &t, &t.customer, to);
                    }
                    // Two workers move the same devices in opposite directions.
                    2 | 3 => {
                        let device = fleet[round % fleet.len()];
                        let to = places[(round + worker) % 5];
                        move_device(&storage, &t, device, to);
                    }
                    _ => {}
                }
            }
        }));
    }
    for worker in workers {
        worker.join().unwrap();
    }
    assert_counts_agree(&storage, &t);
}
