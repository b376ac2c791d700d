//! The devices' tallies (each group's whole subtree by last outcome, what the console's
//! Overview and customer lists read) agree with the devices themselves after every kind of
//! change — adds, sessions (late ones too), device moves, group moves, removals — and after
//! all of them racing, on this run's backend.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use diesel::RunQueryDsl;
use tenantry_domain::{
    DeviceId, Group, GroupChanges, GroupId, GroupName, GroupState, Level, NewGroup, ServiceType,
    SessionReport, SessionStatus, StoredState,
};
use tenantry_storage::devices::{self, DeviceChanges, DeviceFilter, StatusCounts};
use tenantry_storage::{PageRequest, Storage, StoreError, groups};
use tenantry_tests::TestDatabase;
use tenantry_tests::clock::{march as at, root_group};

fn group(storage: &Storage, root: &Group, parent: GroupId, name: &str, level: Level) -> Group {
    storage
        .write(|w| {
            groups::create(
                w,
                &root.path,
                NewGroup {
                    name: GroupName::parse(name).unwrap(),
                    parent_id: parent,
                    level,
                    service_type: ServiceType::AllInclusive,
                    state: StoredState {
                        state: GroupState::Production,
                        trial_expires_at: None,
                    },
                    customer_reference: None,
                    automatic_deployment: false,
                },
                at(1, 0),
            )
        })
        .unwrap()
        .0
}

fn session(status: SessionStatus, ended: DateTime<Utc>) -> SessionReport {
    SessionReport {
        started_at: ended - Duration::minutes(30),
        ended_at: ended,
        status,
        selected_bytes: 10,
        used_bytes: 5,
        files: 1,
        errors: 0,
    }
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

/// Every group's subtree by last outcome, counted from the devices themselves.
fn counted(storage: &Storage, root: &Group, since: DateTime<Utc>) -> HashMap<i64, StatusCounts> {
    storage
        .read(|c| {
            let mut paths: HashMap<GroupId, Vec<GroupId>> = HashMap::new();
            let mut counts: HashMap<i64, StatusCounts> = HashMap::new();
            let filter = DeviceFilter {
                descendants: true,
                ..DeviceFilter::default()
            };
            let mut request = PageRequest::new(Some(500), None).unwrap();
            loop {
                let page = devices::list(c, root, &filter, &request)?;
                for device in &page.items {
                    let path = match paths.entry(device.group_id) {
                        Entry::Occupied(known) => known.into_mut(),
                        Entry::Vacant(new) => {
                            new.insert(groups::get(c, &root.path, device.group_id)?.path.ids())
                        }
                    };
                    for ancestor in path.iter() {
                        let counts = counts.entry(ancestor.0).or_default();
                        // The tallies know hours: a session counts as recent from the start of
                        // the hour `since` falls in.
                        let hour_start = since - Duration::seconds(since.timestamp() % 3600);
                        match (device.status, device.last_session_at) {
                            (None, _) | (_, None) => counts.never += 1,
                            (Some(_), Some(last)) if last < hour_start => counts.stale += 1,
                            (Some(SessionStatus::Completed), _) => counts.completed += 1,
                            (Some(SessionStatus::WithErrors), _) => counts.with_errors += 1,
                            (Some(_), _) => counts.failed += 1,
                        }
                    }
                }
                match page.next {
                    Some(cursor) => request = PageRequest::new(Some(500), Some(cursor)).unwrap(),
                    None => break,
                }
            }
            Ok(counts)
        })
        .unwrap()
}

/// The groups as they are now (a move changes their paths).
fn current(
    c: &mut tenantry_storage::DbConnection,
    root: &Group,
    ids: &[i64],
) -> Result<Vec<Group>, StoreError> {
    ids.iter()
        .map(|id| groups::get(c, &root.path, GroupId(*id)))
        .collect()
}

fn assert_tallies_agree(storage: &Storage, root: &Group, everyone: &[i64]) {
    for since in [at(1, 0), at(3, 12), at(5, 7), at(9, 0)] {
        let expected = counted(storage, root, since);
        let tallied = storage
            .read(|c| {
                let groups = current(c, root, everyone)?;
                devices::subtree_status_counts(c, &groups, since)
            })
            .unwrap();
        for id in everyone {
            assert_eq!(
                tallied.get(&GroupId(*id)).copied().unwrap_or_default(),
                expected.get(id).copied().unwrap_or_default(),
                "group {id}, recent since {since}"
            );
        }
    }
}

struct Tree {
    root: Group,
    left: Group,
    right: Group,
    customer: Group,
    site: Group,
}

impl Tree {
    fn ids(&self) -> Vec<i64> {
        [
            &self.root,
            &self.left,
            &self.right,
            &self.customer,
            &self.site,
        ]
        .iter()
        .map(|g| g.id.0)
        .collect()
    }
}

/// Root > Left, Right (resellers); Left > Customer > Site.
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

fn add(storage: &Storage, root: &Group, to: &Group, name: &str) -> DeviceId {
    DeviceId(write(storage, |w| {
        devices::add(w, &root.path, to.id, name, "Linux", at(1, 0))
    }))
}

fn report(storage: &Storage, device: DeviceId, status: SessionStatus, ended: DateTime<Utc>) {
    write(storage, |w| {
        devices::report(w, device, &session(status, ended), ended)
    });
}

fn move_group(storage: &Storage, root: &Group, moved: &Group, parent: &Group) {
    let changes = GroupChanges {
        parent_id: Some(parent.id),
        ..GroupChanges::default()
    };
    write(storage, |w| {
        groups::update(w, &root.path, moved.id, changes.clone(), None, at(9, 0))
    });
}

fn move_device(storage: &Storage, root: &Group, device: DeviceId, to: &Group) {
    let changes = DeviceChanges {
        group_id: Some(to.id),
        ..DeviceChanges::default()
    };
    write(storage, |w| {
        devices::update(w, &root.path, device, changes.clone(), None, at(9, 0))
    });
}

#[test]
fn tallies_follow_every_change_of_the_devices() {
    let database = TestDatabase::fresh();
    let storage = database.storage();
    let t = tree(&storage);
    let everyone = t.ids();

    let a = add(&storage, &t.root, &t.site, "a");
    let b = add(&storage, &t.root, &t.site, "b");
    let c = add(&storage, &t.root, &t.customer, "c");
    let d = add(&storage, &t.root, &t.right, "d");
    let e = add(&storage, &t.root, &t.root, "e");
    assert_tallies_agree(&storage, &t.root, &everyone);
    let fresh = storage
        .read(|c| devices::subtree_status_counts(c, std::slice::from_ref(&t.left), at(1, 0)))
        .unwrap()[&t.left.id];
    assert_eq!(fresh.never, 3, "{fresh:?}");

    report(&storage, a, SessionStatus::Completed, at(2, 10));
    report(
        &storage,
        a,
        SessionStatus::Failed,
        at(5, 7) + Duration::minutes(40),
    );
    // Late: older than the last one, so the device's standing stays.
    report(&storage, a, SessionStatus::WithErrors, at(4, 1));
    report(
        &storage,
        b,
        SessionStatus::WithErrors,
        at(3, 11) + Duration::minutes(59),
    );
    report(&storage, c, SessionStatus::Aborted, at(6, 0));
    report(&storage, d, SessionStatus::Completed, at(8, 23));
    assert_tallies_agree(&storage, &t.root, &everyone);

    move_device(&storage, &t.root, b, &t.right);
    move_device(&storage, &t.root, e, &t.site);
    assert_tallies_agree(&storage, &t.root, &everyone);

    move_group(&storage, &t.root, &t.customer, &t.right);
    assert_tallies_agree(&storage, &t.root, &everyone);
    move_group(&storage, &t.root, &t.customer, &t.left);
    assert_tallies_agree(&storage, &t.root, &everyone);

    // Only distributors, sub-distributors and resellers keep tallies: a group that becomes a
    // reseller (here, moving up in the same change) starts to, and stops when it stops being one.
    let promote = |level| GroupChanges {
        parent_id: Some(t.root.id),
        level: Some(level),
        ..GroupChanges::default()
    };
    write(&storage, |w| {
        groups::update(
            w,
            &t.root.path,
            t.customer.id,
            promote(Level::Reseller),
            None,
            at(9, 0),
        )
    });
    assert_tallies_agree(&storage, &t.root, &everyone);
    report(&storage, b, SessionStatus::Failed, at(8, 0));
    report(
        &storage,
        e,
        SessionStatus::Completed,
        at(8, 3) + Duration::minutes(30),
    );
    assert_tallies_agree(&storage, &t.root, &everyone);
    write(&storage, |w| {
        groups::update(
            w,
            &t.root.path,
            t.customer.id,
            promote(Level::EndCustomer),
            None,
            at(9, 0),
        )
    });
    assert_tallies_agree(&storage, &t.root, &everyone);
    move_group(&storage, &t.root, &t.customer, &t.left);
    assert_tallies_agree(&storage, &t.root, &everyone);

    for device in [a, c] {
        write(&storage, |w| devices::delete(w, &t.root.path, device, None));
    }
    assert_tallies_agree(&storage, &t.root, &everyone);
    let root = storage
        .read(|c| devices::subtree_status_counts(c, std::slice::from_ref(&t.root), at(1, 0)))
        .unwrap()[&t.root.id];
    assert_eq!(root.total(), 3, "{root:?}");

    // The migration that brought the tallies counts an existing installation's devices: from
    // the same devices, it writes exactly the rows kept up to date since.
    // Rows that fell to zero stay until pruned (the roll-up task does it).
    assert!(
        write(&storage, |w| devices::prune_tallies(w.conn())) > 0,
        "moves and removals left rows at zero"
    );
    let kept = tally_rows(&storage);
    assert!(kept.len() > everyone.len(), "{kept:?}");
    let migration = match database.url().starts_with("postgres") {
        true => include_str!(
            "../../crates/storage/migrations/postgres/2026-12-07-000011_device_tallies/up.sql"
        ),
        false => include_str!(
            "../../crates/storage/migrations/sqlite/2026-12-07-000011_device_tallies/up.sql"
        ),
    };
    let fill = &migration[migration.find("INSERT INTO device_tallies").unwrap()..];
    write(&storage, |w| {
        diesel::sql_query("DELETE FROM device_tallies").execute(w.conn())?;
        diesel::sql_query(fill).execute(w.conn())?;
        Ok(())
    });
    assert_eq!(tally_rows(&storage), kept);
}

#[derive(Debug, PartialEq, Eq, diesel::QueryableByName)]
struct TallyRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    group_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    last_hour: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    devices: i64,
}

/// The tallies as stored (the hour as its stored text, so a format that differs shows).
fn tally_rows(storage: &Storage) -> Vec<TallyRow> {
    storage
        .read(|c| {
            Ok(diesel::sql_query(
                "SELECT group_id, status, CAST(last_hour AS TEXT) AS last_hour, devices \
                 FROM device_tallies ORDER BY group_id, status, last_hour",
            )
            .load::<TallyRow>(c)?)
        })
        .unwrap()
}

#[test]
fn tallies_hold_when_sessions_and_moves_race() {
    let database = TestDatabase::fresh();
    let storage = Arc::new(database.storage());
    let t = Arc::new(tree(&storage));
    let everyone = t.ids();
    let mut fleet = Vec::new();
    for (n, place) in [&t.site, &t.customer, &t.left, &t.right]
        .iter()
        .cycle()
        .take(12)
        .enumerate()
    {
        fleet.push(add(&storage, &t.root, place, &format!("pc{n}")));
    }
    let fleet = Arc::new(fleet);

    let mut workers = Vec::new();
    for worker in 0..4usize {
        let (storage, t, fleet) = (storage.clone(), t.clone(), fleet.clone());
        workers.push(std::thread::spawn(move || {
            let statuses = [
                SessionStatus::Completed,
                SessionStatus::Failed,
                SessionStatus::WithErrors,
                SessionStatus::Aborted,
            ];
            for round in 0..25usize {
                let device = fleet[(worker * 7 + round) % fleet.len()];
                let ended =
                    at(1, 0) + Duration::minutes(i64::try_from(round * 97 + worker * 13).unwrap());
                report(&storage, device, statuses[(round + worker) % 4], ended);
                if worker == 0 && round % 5 == 0 {
                    let to = if round % 10 == 0 { &t.right } else { &t.left };
                    move_group(&storage, &t.root, &t.customer, to);
                }
                if worker == 1 && round % 3 == 0 {
                    let to = if round % 2 == 0 { &t.site } else { &t.right };
                    move_device(&storage, &t.root, fleet[round % fleet.len()], to);
                }
            }
        }));
    }
    for worker in workers {
        worker.join().unwrap();
    }
    assert_tallies_agree(&storage, &t.root, &everyone);
}
