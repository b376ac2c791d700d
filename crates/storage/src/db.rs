use std::path::Path;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, R2D2Connection};
use diesel::sqlite::SqliteConnection;

use crate::error::{StoreError, StoreResult};
use crate::migrations;

/// One connection type over both backends; diesel dispatches each query to the right one.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

impl std::fmt::Debug for DbConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DbConnection::Sqlite(_) => "DbConnection::Sqlite",
            DbConnection::Pg(_) => "DbConnection::Pg",
        })
    }
}

/// The backend a database URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Chosen from the scheme, never guessed: `sqlite://PATH` or `postgres(ql)://…`.
    pub fn of_url(url: &str) -> StoreResult<Backend> {
        if url.starts_with("sqlite://") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Connect(
                "the database URL must start with sqlite:// or postgres:// (or postgresql://)"
                    .into(),
            ))
        }
    }
}

/// How many connections to keep and how long a request may wait for one.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    pub size: u32,
    pub connection_timeout: Duration,
}

/// The connection pools. On SQLite, writes go through a pool of one connection: SQLite has one
/// write lock anyway, and queueing writers in the pool keeps latency flat where eight writers
/// spinning on `busy_timeout` would not. On PostgreSQL both roles share one pool.
#[derive(Clone, Debug)]
pub struct Storage {
    backend: Backend,
    reads: Pool<Connector>,
    writes: Pool<Connector>,
}

/// One pool's connections at a moment.
#[derive(Clone, Copy, Debug)]
pub struct PoolUsage {
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// A connection inside a write transaction. Only [`Storage::write`] makes one.
#[derive(Debug)]
pub struct Writer<'c> {
    conn: &'c mut DbConnection,
}

impl Writer<'_> {
    pub fn conn(&mut self) -> &mut DbConnection {
        self.conn
    }
}

impl Storage {
    /// Opens the pools and brings the schema up to date (creating the SQLite file and its folder
    /// on first start).
    pub fn open(url: &str, settings: PoolSettings) -> StoreResult<Storage> {
        let backend = Backend::of_url(url)?;
        let connect_url = match backend {
            Backend::Sqlite => {
                let file = sqlite_path(url)?;
                if let Some(folder) = Path::new(&file)
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(folder).map_err(|e| {
                        StoreError::Connect(format!(
                            "cannot create the folder {}: {e}",
                            folder.display()
                        ))
                    })?;
                }
                file
            }
            Backend::Postgres => url.to_owned(),
        };
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                .connection_timeout(settings.connection_timeout)
                // No `SELECT 1` before every checkout: a broken connection shows itself as a
                // failed query (and `has_broken`), and the extra round trip cost a fifth of
                // the throughput of a one-row read.
                .test_on_check_out(false)
                .connection_customizer(Box::new(SessionSetup))
                .build(Connector {
                    backend,
                    url: connect_url.clone(),
                })
                .map_err(|e| StoreError::Connect(e.to_string()))
        };
        let reads = build(settings.size.max(1))?;
        let writes = match backend {
            Backend::Sqlite => build(1)?,
            Backend::Postgres => reads.clone(),
        };
        let storage = Storage {
            backend,
            reads,
            writes,
        };
        storage.migrate()?;
        if backend == Backend::Postgres {
            storage.check_message_locale();
        }
        Ok(storage)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How the pools stand right now (for metrics). On PostgreSQL reads and writes share one
    /// pool, reported once.
    pub fn pool_usage(&self) -> Vec<PoolUsage> {
        let usage = |pool: &'static str, p: &Pool<Connector>| {
            let state = p.state();
            PoolUsage {
                pool,
                open: state.connections,
                idle: state.idle_connections,
                max: p.max_size(),
            }
        };
        match self.backend {
            Backend::Sqlite => vec![usage("reads", &self.reads), usage("writes", &self.writes)],
            Backend::Postgres => vec![usage("shared", &self.reads)],
        }
    }

    /// Warns when PostgreSQL will word its errors in another language: a deadlock or a lock
    /// timeout is then not retried but answered 500 (see `error::is_busy`).
    fn check_message_locale(&self) {
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let found = self.read(|c| {
            use diesel::RunQueryDsl;
            Ok(
                diesel::sql_query("SELECT current_setting('lc_messages') AS value")
                    .get_result::<Setting>(c)?,
            )
        });
        if let Ok(Setting { value }) = found
            && !(value.is_empty()
                || value == "C"
                || value == "POSIX"
                || value.starts_with("en")
                || value.starts_with("C."))
        {
            log::warn!(
                "PostgreSQL words its errors in lc_messages = {value:?}, and this role may not \
                 change that: deadlocks and lock timeouts will answer 500 instead of being \
                 retried. Run once, as a superuser: ALTER ROLE <this role> SET lc_messages = 'C' \
                 (or, from PostgreSQL 15, GRANT SET ON PARAMETER lc_messages TO <this role>); \
                 see docs/operations.md"
            );
        }
    }

    fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.writes.get()?;
        migrations::run_pending(&mut conn)?;
        // The connection goes back first: on SQLite the steps' write needs the one writer.
        drop(conn);
        crate::data_steps::run_pending(self);
        Ok(())
    }

    /// Runs `work` on a pooled connection, outside any explicit transaction.
    pub fn read<T>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut conn = self.reads.get()?;
        work(&mut conn)
    }

    /// Runs `work` in one write transaction: committed if it returns `Ok`, rolled back otherwise.
    /// On SQLite the transaction is `BEGIN IMMEDIATE`, so it holds the write lock from its first
    /// statement and a check followed by a write can never be overtaken by another writer.
    pub fn write<T>(&self, work: impl FnOnce(&mut Writer<'_>) -> StoreResult<T>) -> StoreResult<T> {
        self.transaction(work, Ending::CommitOnSuccess)
    }

    /// Runs `work` exactly as [`Storage::write`] would, then rolls everything back: a dry run
    /// that meets every rule, lock and trigger a real run would, and leaves nothing behind.
    pub fn rehearse<T>(
        &self,
        work: impl FnOnce(&mut Writer<'_>) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.transaction(work, Ending::RollBack)
    }

    fn transaction<T>(
        &self,
        work: impl FnOnce(&mut Writer<'_>) -> StoreResult<T>,
        ending: Ending,
    ) -> StoreResult<T> {
        let mut pooled = self.writes.get()?;
        let conn: &mut DbConnection = &mut pooled;
        match conn {
            DbConnection::Sqlite(c) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
            }
            // The lock protocol (dialect.rs) relies on each statement seeing what committed
            // before it, whatever the database's default isolation level is.
            DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction_sql(
                c,
                "BEGIN ISOLATION LEVEL READ COMMITTED",
            )?,
        }
        // Commit and rollback go through the multi-connection's manager, which hands them to
        // the inner connection whose transaction was just opened.
        match (work(&mut Writer { conn: &mut *conn }), ending) {
            (Ok(value), Ending::CommitOnSuccess) => {
                if let Err(error) = DbConnection::commit_transaction(conn) {
                    let _ = DbConnection::rollback_transaction(conn);
                    return Err(error.into());
                }
                crate::error::faults::clear();
                Ok(value)
            }
            (Ok(value), Ending::RollBack) => {
                DbConnection::rollback_transaction(conn)?;
                Ok(value)
            }
            (Err(error), _) => {
                if let Err(rollback) = DbConnection::rollback_transaction(conn) {
                    log::warn!("rollback failed after {error}: {rollback}");
                }
                Err(error)
            }
        }
    }
}

/// How a write transaction ends when its work succeeds.
#[derive(Clone, Copy, Debug)]
enum Ending {
    CommitOnSuccess,
    RollBack,
}

/// Opens connections of exactly the backend the URL's scheme names. (diesel's derived
/// `establish` tries each backend in turn, which would hide why PostgreSQL refused us.)
#[derive(Debug)]
struct Connector {
    backend: Backend,
    /// For SQLite, the file path; for PostgreSQL, the URL as given.
    url: String,
}

impl ManageConnection for Connector {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        match self.backend {
            Backend::Sqlite => SqliteConnection::establish(&self.url).map(DbConnection::Sqlite),
            Backend::Postgres => PgConnection::establish(&self.url).map(DbConnection::Pg),
        }
        .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

impl Storage {
    /// Whether the database can serve requests now (what `/readyz` asks), waiting at most
    /// `patience` for a connection: it answers a query, and, when a write met a fault (a full
    /// disk, a read-only file) and none has succeeded since, it can commit a write again (one
    /// row of its own, rewritten: only then, so a healthy server's probes never write).
    pub fn ready(&self, patience: Duration) -> StoreResult<()> {
        let mut conn = self.reads.get_timeout(patience)?;
        conn.batch_execute("SELECT 1")?;
        drop(conn);
        let Some(fault) = crate::error::faults::last() else {
            return Ok(());
        };
        let mut writer = self.writes.get_timeout(patience)?;
        let begin = match &*writer {
            DbConnection::Sqlite(_) => "BEGIN IMMEDIATE",
            DbConnection::Pg(_) => "BEGIN",
        };
        let probe = writer.batch_execute(&format!(
            "{begin}; DELETE FROM readiness_probe; \
             INSERT INTO readiness_probe (id, probed_at) VALUES (1, CURRENT_TIMESTAMP); COMMIT"
        ));
        match probe {
            Ok(()) => {
                crate::error::faults::clear();
                Ok(())
            }
            Err(error) => {
                let _ = writer.batch_execute("ROLLBACK");
                Err(StoreError::Unavailable(format!("{fault} (still: {error})")))
            }
        }
    }
}

/// `sqlite://data/tenantry.db` is relative to the working directory,
/// `sqlite:///var/lib/tenantry.db` absolute.
pub(crate) fn sqlite_path(url: &str) -> StoreResult<String> {
    let file = url.trim_start_matches("sqlite://");
    if file.is_empty() {
        return Err(StoreError::Connect(
            "the sqlite:// URL names no file".into(),
        ));
    }
    Ok(file.to_owned())
}

/// Per-connection settings, applied to every pooled connection when it is opened.
#[derive(Debug)]
struct SessionSetup;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SessionSetup {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        match conn {
            // WAL lets readers run beside the writer; NORMAL sync is safe with WAL (a power cut
            // may lose the last commits, never corrupt the file); foreign keys are off by default
            // in SQLite and our removal rules rely on them. Checkpoints every 4,000 WAL pages
            // (16 MB) instead of SQLite's 1,000: each checkpoint copies hot index pages back once
            // per window, and creates ran faster with larger windows; but at 10,000 pages (40 MB)
            // the log filled a small volume before the database did, so every write failed while
            // the database itself had room. The size limit (32 MB) gives the disk back after a
            // checkpoint. The busy timeout comes first, so that
            // switching a fresh file to WAL waits for another server's connection (two replicas
            // starting together) instead of failing.
            DbConnection::Sqlite(c) => c.batch_execute(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                 PRAGMA wal_autocheckpoint = 4000; PRAGMA journal_size_limit = 33554432;",
            ),
            // A lock wait this long means something is stuck: answer 503 rather than hang.
            DbConnection::Pg(c) => c
                .batch_execute("SET TIME ZONE 'UTC'; SET lock_timeout = '10s'")
                .map(|()| {
                    // Error texts in the C locale, which is how a deadlock or a lock timeout is
                    // told apart (diesel passes on no SQLSTATE but 40001's; see error.rs). Only a
                    // superuser may set this: for another role the server's own setting stays,
                    // and start-up warns when it is not English (`check_message_locale`).
                    let _ = c.batch_execute("SET lc_messages TO 'C'");
                }),
        }
        .map_err(diesel::r2d2::Error::QueryError)
    }
}
