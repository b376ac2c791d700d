//! Embedded migrations, one folder per backend with the same names for the same change.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
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
/// turns: one applies the migrations, the others wait for it and then find nothing to do.
pub fn run_pending(conn: &mut DbConnection) -> StoreResult<()> {
    let applied = match conn {
        DbConnection::Sqlite(c) => migrate_sqlite(c)?,
        DbConnection::Pg(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let applied = c.run_pending_migrations(POSTGRES).map(|v| v.len());
            // A session lock: released here, or with the connection if this fails.
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
            applied.map_err(|e| StoreError::Migration(e.to_string()))?
        }
    };
    if applied > 0 {
        log::info!("applied {applied} database migration(s)");
    }
    Ok(())
}

/// SQLite's write lock is the turn: the list of applied migrations is read, and every missing
/// one applied (each in a savepoint), in one `BEGIN IMMEDIATE` transaction.
fn migrate_sqlite(c: &mut SqliteConnection) -> StoreResult<usize> {
    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    match c.run_pending_migrations(SQLITE).map(|v| v.len()) {
        Ok(applied) => {
            AnsiTransactionManager::commit_transaction(c)?;
            Ok(applied)
        }
        Err(error) => {
            let _ = AnsiTransactionManager::rollback_transaction(c);
            Err(StoreError::Migration(error.to_string()))
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
