//! Online backups of the embedded SQLite database (`tenantry-server backup`).
//!
//! `VACUUM INTO` reads the database in one read transaction, so the copy is the database as of
//! one moment, complete and consistent, while the server goes on writing (WAL mode lets writers
//! and this reader proceed side by side; SQLite's `.backup` command restarts whenever a write
//! lands and, under steady writes, never finishes). The copy is written beside the destination
//! and renamed into place only once whole, so a backup that fails or is interrupted leaves no
//! half-written file where a good one is expected. PostgreSQL has `pg_dump` for this.

use std::path::{Path, PathBuf};

use diesel::sql_types::Text;
use diesel::{Connection, RunQueryDsl, SqliteConnection};

use crate::db::{Backend, sqlite_path};
use crate::error::{StoreError, StoreResult};

/// Copies the SQLite database at `url` to `destination` (which must not exist yet); answers
/// the copy's size in bytes.
pub fn sqlite_to(url: &str, destination: &Path) -> StoreResult<u64> {
    if Backend::of_url(url)? != Backend::Sqlite {
        return Err(StoreError::Connect(
            "backups of PostgreSQL are pg_dump's job (see docs/operations.md)".into(),
        ));
    }
    if destination.exists() {
        return Err(StoreError::Connect(format!(
            "{} exists already: name a new file",
            destination.display()
        )));
    }
    let source = sqlite_path(url)?;
    if !Path::new(&source).exists() {
        return Err(StoreError::Connect(format!("no database at {source}")));
    }
    let partial = partial_path(destination);
    let _ = std::fs::remove_file(&partial);
    let result = copy(&source, &partial).and_then(|()| {
        std::fs::rename(&partial, destination)
            .map_err(|e| StoreError::Connect(format!("cannot move the copy into place: {e}")))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result?;
    std::fs::metadata(destination)
        .map(|m| m.len())
        .map_err(|e| StoreError::Connect(format!("{}: {e}", destination.display())))
}

fn copy(source: &str, into: &Path) -> StoreResult<()> {
    let mut conn = SqliteConnection::establish(source)
        .map_err(|e| StoreError::Connect(format!("cannot open {source}: {e}")))?;
    // The server may be writing: wait for its lock rather than fail at once.
    diesel::sql_query("PRAGMA busy_timeout = 30000").execute(&mut conn)?;
    let into = into
        .to_str()
        .ok_or_else(|| StoreError::Connect("the destination path is not UTF-8".into()))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(into)
        .execute(&mut conn)?;
    Ok(())
}

/// Where the copy is written before it is whole: beside the destination, so the rename is a
/// rename and not a copy across file systems.
fn partial_path(destination: &Path) -> PathBuf {
    let mut name = destination
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    destination.with_file_name(name)
}
