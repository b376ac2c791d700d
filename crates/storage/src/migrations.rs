//! Embedded migrations, one folder per backend with the same names for the same change.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::db::DbConnection;
use crate::error::{StoreError, StoreResult};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The PostgreSQL advisory lock that one start-up holds while it migrates (any fixed number
/// that nothing else uses; "tenantry" in ASCII, more or less).
const MIGRATION_LOCK: i64 = 0x7465_6e61_6e74;

/// Applies every migration not yet applied. Run at start-up. Replicas that start together take
/// turns: one applies the migrations, the others wait for it (however long it takes) and then
/// find nothing to do.
pub fn run_pending(conn: &mut DbConnection) -> StoreResult<()> {
    let applied = match conn {
        DbConnection::Sqlite(c) => migrate_sqlite(c)?,
        DbConnection::Pg(c) => migrate_postgres(c)?,
    };
    if applied > 0 {
        log::info!("applied {applied} database migration(s)");
    }
    Ok(())
}

/// Under a session-level advisory lock, waited for without the connection's usual lock timeout
/// (a large migration may take minutes).
fn migrate_postgres(c: &mut PgConnection) -> StoreResult<usize> {
    c.batch_execute(&format!(
        "SET lock_timeout = 0; SELECT pg_advisory_lock({MIGRATION_LOCK}); SET lock_timeout = '10s'"
    ))?;
    let applied = c.run_pending_migrations(POSTGRES).map(|v| v.len());
    // Released here, or with the connection if this fails; the migration's own error matters
    // more than the release's.
    let released = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
    let applied = applied.map_err(|e| StoreError::Migration(e.to_string()))?;
    released?;
    Ok(applied)
}

/// SQLite's write lock is the turn: the applied migrations are read, and every missing one
/// applied (each in a savepoint), in one `BEGIN IMMEDIATE` transaction. A replica whose turn
/// has not come after the connection's busy timeout tries again.
fn migrate_sqlite(c: &mut SqliteConnection) -> StoreResult<usize> {
    let started = std::time::Instant::now();
    loop {
        let outcome = c.immediate_transaction(|c| {
            c.run_pending_migrations(SQLITE)
                .map(|v| v.len())
                .map_err(|e| StoreError::Migration(e.to_string()))
        });
        match outcome {
            Err(StoreError::Busy(_)) if started.elapsed() < Duration::from_secs(600) => {
                log::info!("waiting for another server's database migrations");
            }
            other => return other,
        }
    }
}

/// Reverts every applied migration, newest first. For the up/down/up test and for operators
/// who need to step back; never called by the server.
pub fn revert_all(conn: &mut DbConnection) -> StoreResult<()> {
    match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE).map(drop),
        DbConnection::Pg(c) => c.revert_all_migrations(POSTGRES).map(drop),
    }
    .map_err(|e| StoreError::Migration(e.to_string()))
}

/// The schema as text (tables, columns, indexes), to compare one migration run with another.
pub fn describe_schema(conn: &mut DbConnection) -> StoreResult<Vec<String>> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::Text;

    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        line: String,
    }
    let lines: Vec<Line> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') AS line FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '__diesel%' ORDER BY type, name",
        )
        .load(c)?,
        DbConnection::Pg(c) => diesel::sql_query(
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' \
             || COALESCE(column_default, '') AS line FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '__diesel%' \
             UNION ALL SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public' \
             AND tablename NOT LIKE '__diesel%' \
             UNION ALL SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) AS line \
             FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
             AND conrelid::regclass::text NOT LIKE '__diesel%' ORDER BY line",
        )
        .load(c)?,
    };
    Ok(lines.into_iter().map(|l| l.line).collect())
}
