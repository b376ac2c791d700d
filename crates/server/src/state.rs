use tenantry_domain::{GroupId, TreePath};
use tenantry_storage::{DbConnection, Storage, StoreError, Writer};

use actix_web::web;

use crate::error::ApiError;

/// What every request handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    storage: Storage,
    /// The root group's path: the bootstrap token's scope.
    pub root_path: TreePath,
    pub root_id: GroupId,
    pub bootstrap_token: BootstrapToken,
    pub trial_days: i64,
    pub max_body_bytes: usize,
}

impl AppState {
    pub fn new(
        storage: Storage,
        root_path: TreePath,
        root_id: GroupId,
        bootstrap_token: BootstrapToken,
        trial_days: i64,
        max_body_bytes: usize,
    ) -> AppState {
        AppState {
            storage,
            root_path,
            root_id,
            bootstrap_token,
            trial_days,
            max_body_bytes,
        }
    }

    /// Runs `work` on a pooled connection, off the async workers.
    ///
    /// (Measured and rejected: an async semaphore sized like the pool in front of this, to keep
    /// waiting requests off blocking threads. The cross-worker wake-ups cost 10-15 % more than
    /// the threads waiting on the pool.)
    pub async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let storage = self.storage.clone();
        blocking(move || storage.read(work)).await
    }

    /// Runs `work` in one write transaction, off the async workers.
    pub async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let storage = self.storage.clone();
        blocking(move || storage.write(work)).await
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), ApiError> {
        self.read(tenantry_storage::ping).await
    }
}

/// Runs blocking database work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(work)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

/// The temporary administrator token, compared in constant time.
#[derive(Clone)]
pub struct BootstrapToken(String);

impl BootstrapToken {
    pub fn new(token: String) -> BootstrapToken {
        BootstrapToken(token)
    }

    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        // Same work whatever the first differing byte is; only the length leaks, and the
        // length of a configured token is no secret worth keeping.
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for BootstrapToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BootstrapToken(***)")
    }
}
