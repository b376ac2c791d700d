use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::{Connection, RunQueryDsl, pg::PgConnection};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A database that exists for one test only and is removed when dropped.
#[derive(Debug)]
pub enum TestDatabase {
    Sqlite {
        folder: PathBuf,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
    /// Another handle on a database someone else owns (a second server on the same data):
    /// dropping it removes nothing.
    Shared {
        url: String,
    },
}

impl TestDatabase {
    /// A new, empty database on the backend this run tests.
    pub fn fresh() -> TestDatabase {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let tag = format!("{}_{n}", std::process::id());
        match std::env::var("TENANTRY_TEST_POSTGRES_URL") {
            Ok(admin_url) => {
                let name = format!("tenantry_test_{tag}");
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin_url}: {e}"));
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .unwrap();
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .unwrap();
                let url = replace_database(&admin_url, &name);
                TestDatabase::Postgres {
                    admin_url,
                    name,
                    url,
                }
            }
            Err(_) => {
                let folder = std::env::temp_dir().join(format!("tenantry-test-{tag}"));
                let _ = std::fs::remove_dir_all(&folder);
                std::fs::create_dir_all(&folder).unwrap();
                let url = format!("sqlite://{}", folder.join("tenantry.db").display());
                TestDatabase::Sqlite { folder, url }
            }
        }
    }

    /// The storage layer opened on this database (migrated), for tests below the HTTP API.
    pub fn storage(&self) -> tenantry_storage::Storage {
        let settings = tenantry_storage::PoolSettings {
            size: 2,
            connection_timeout: std::time::Duration::from_secs(10),
        };
        tenantry_storage::Storage::open(self.url(), settings).unwrap()
    }

    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. }
            | TestDatabase::Postgres { url, .. }
            | TestDatabase::Shared { url } => url,
        }
    }

    /// A handle on the same database for a second server; the database lives as long as this
    /// one (keep it, or the server that owns it, until the second server is dropped).
    pub fn share(&self) -> TestDatabase {
        TestDatabase::Shared {
            url: self.url().to_owned(),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            TestDatabase::Sqlite { folder, .. } => {
                let _ = std::fs::remove_dir_all(folder);
            }
            TestDatabase::Postgres {
                admin_url, name, ..
            } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin);
                }
            }
            TestDatabase::Shared { .. } => {}
        }
    }
}

/// `postgres://user@host:port/postgres?x=y` with its database swapped for `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_names_are_swapped() {
        assert_eq!(
            super::replace_database("postgres://root@127.0.0.1:5432/postgres", "t1"),
            "postgres://root@127.0.0.1:5432/t1"
        );
        assert_eq!(
            super::replace_database("postgres://root@h/db?sslmode=disable", "t1"),
            "postgres://root@h/t1?sslmode=disable"
        );
        assert_eq!(
            super::replace_database("postgres://root@h", "t1"),
            "postgres://root@h/t1"
        );
    }
}
