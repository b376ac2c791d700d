use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::web;
use tenantry_domain::{LockoutPolicy, SessionPolicy};
use tenantry_storage::{DbConnection, Storage, StoreError, Writer};

use crate::auth::cache::SessionCache;
use crate::auth::throttle::LoginThrottle;
use crate::auth::unknown::UnknownAccounts;
use crate::caller::Caller;
use crate::config::Settings;
use crate::downloads::Catalog;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::plugins::Plugins;
use tenantry_api_types::ErrorCode;
use tenantry_domain::GroupEvent;
use tenantry_plugin_host::api::Hook;

/// What every request handler shares.
#[derive(Debug)]
pub struct AppState {
    storage: Storage,
    /// Recently checked tokens (see `auth::cache`).
    pub sessions: SessionCache,
    pub session_policy: SessionPolicy,
    pub lockout_policy: LockoutPolicy,
    /// Login attempts per source address.
    pub login_throttle: LoginThrottle,
    /// Failed logins of (group, username) pairs that name no account.
    pub unknown_accounts: UnknownAccounts,
    pub api_tokens: ApiTokenPolicy,
    pub trial_days: i64,
    pub max_body_bytes: usize,
    pub plugins: Arc<Plugins>,
    pub metrics: Arc<Metrics>,
    /// The installers of the Downloads module.
    pub downloads: Arc<Catalog>,
    /// The deployment tokens of the Downloads listings' command lines, shown again.
    pub command_tokens: crate::command_tokens::CommandTokens,
    /// `server.public_url`, without a trailing slash; empty: each request's own address.
    pub public_url: String,
    /// `server.trusted_proxies`: whose forwarding headers are believed (see `origin`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    hashing: Slots,
}

/// Slots for expensive work: a few run at once, a bounded number wait (asynchronously, holding
/// no thread), and beyond that the request is turned away.
#[derive(Debug)]
struct Slots {
    running: tokio::sync::Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
}

impl Slots {
    fn new(running: usize, max_waiting: usize) -> Slots {
        Slots {
            running: tokio::sync::Semaphore::new(running),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    async fn acquire(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        if let Ok(permit) = self.running.try_acquire() {
            return Some(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let permit = self.running.acquire().await.ok();
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        permit
    }
}

/// How long API tokens live when the request says nothing, and at most.
#[derive(Clone, Copy, Debug)]
pub struct ApiTokenPolicy {
    pub default_lifetime: chrono::Duration,
    pub max_lifetime: chrono::Duration,
}

impl AppState {
    pub fn new(
        storage: Storage,
        settings: &Settings,
        plugins: Arc<Plugins>,
        metrics: Arc<Metrics>,
    ) -> AppState {
        let auth = &settings.auth;
        AppState {
            storage,
            sessions: SessionCache::new(Duration::from_secs(auth.session_cache_seconds)),
            session_policy: SessionPolicy {
                idle: chrono::Duration::minutes(auth.session_idle_minutes),
                lifetime: chrono::Duration::hours(auth.session_lifetime_hours),
            },
            lockout_policy: LockoutPolicy {
                max_failures: auth.lockout_failures,
                window: chrono::Duration::minutes(auth.lockout_window_minutes),
                lock_for: chrono::Duration::minutes(auth.lockout_minutes),
            },
            login_throttle: LoginThrottle::new(
                // Checked when the settings were loaded (1 to 1,000,000).
                u32::try_from(auth.login_attempts_per_minute)
                    .ok()
                    .and_then(NonZeroU32::new)
                    .unwrap_or(NonZeroU32::MIN),
            ),
            unknown_accounts: UnknownAccounts::default(),
            api_tokens: ApiTokenPolicy {
                default_lifetime: chrono::Duration::days(auth.api_token_default_days),
                max_lifetime: chrono::Duration::days(auth.api_token_max_days),
            },
            trial_days: settings.groups.trial_days,
            max_body_bytes: settings.server.max_body_bytes,
            metrics,
            plugins,
            downloads: Arc::new(Catalog::new(&settings.downloads.dir)),
            command_tokens: Default::default(),
            public_url: settings.server.public_url.trim_end_matches('/').to_owned(),
            // Checked when the settings were loaded.
            trusted_proxies: settings.trusted_proxies().unwrap_or_default(),
            hashing: Slots::new(
                2 * std::thread::available_parallelism().map_or(2, |n| n.get()),
                256,
            ),
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

    /// Runs CPU-heavy work (password hashing) off the async workers, at most two per core at a
    /// time: each Argon2 run holds 19 MiB, and a flood of logins must neither exhaust memory nor
    /// take the blocking threads that database work needs. Up to 256 more wait their turn without
    /// holding a thread; beyond that: 503, retry shortly.
    pub async fn compute<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, String> + Send + 'static,
    ) -> Result<T, ApiError> {
        let _slot = self.hashing.acquire().await.ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unavailable,
                "too many logins at once; retry shortly",
            )
        })?;
        web::block(work)
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)
    }

    /// Runs `work` in one write transaction, off the async workers.
    pub async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let storage = self.storage.clone();
        blocking(move || storage.write(work)).await
    }

    /// Runs `work` exactly as [`AppState::write`] would, then rolls it back (dry runs).
    pub async fn rehearse<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let storage = self.storage.clone();
        blocking(move || storage.rehearse(work)).await
    }

    /// Runs plugins' `after_*` hooks for a committed change, off the async workers. Never fails
    /// the request: a plugin's error is logged.
    pub async fn after_hooks(&self, hook: Hook, events: &[GroupEvent], caller: &Caller) {
        self.after_hooks_in(hook, events, caller, None).await;
    }

    /// [`AppState::after_hooks`] for a batch of events about many groups (an import): one call
    /// per plugin, whose writes reach `reach`.
    pub async fn after_hooks_in(
        &self,
        hook: Hook,
        events: &[GroupEvent],
        caller: &Caller,
        reach: Option<crate::plugins::Reach>,
    ) {
        if !self.plugins.wants(hook) {
            return;
        }
        let (plugins, storage) = (Arc::clone(&self.plugins), self.storage.clone());
        let (events, caller) = (events.to_vec(), caller.clone());
        if let Err(error) =
            web::block(move || plugins.after(&storage, hook, &events, &caller, reach)).await
        {
            log::error!("plugins' {hook:?} hooks did not run: {error}");
        }
    }

    /// How the database pools stand (for `/metrics`).
    pub fn pool_usage(&self) -> Vec<tenantry_storage::PoolUsage> {
        self.storage.pool_usage()
    }

    /// Whether the database answers (for `/readyz`).
    /// Whether the database can serve requests (see `Storage::ready`), answered within half a
    /// second whatever the database does: a load balancer's check must not hang with it.
    pub async fn ready(&self) -> Result<(), ApiError> {
        let storage = self.storage.clone();
        let check = blocking(move || storage.ready(Duration::from_millis(100)));
        match actix_web::rt::time::timeout(Duration::from_millis(500), check).await {
            Ok(answer) => answer,
            Err(_) => Err(StoreError::Unavailable("no answer within 500 ms".into()).into()),
        }
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
