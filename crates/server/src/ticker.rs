//! The plugins' clock: every `plugins.tick_seconds` each plugin that asks for it is called to do
//! the work that came due (the reporting plugin's scheduled reports). Every replica ticks; the
//! plugins claim their work in the database, so each piece is done once.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use tenantry_storage::Storage;

use crate::plugins::Plugins;

/// Starts the ticks on the current actix runtime (the first one at once: what fell due while
/// the server was down is done on start), unless no plugin asks for them.
pub fn spawn(storage: Storage, plugins: Arc<Plugins>, every: Duration) {
    if !plugins.manifests().any(|m| m.ticks) {
        return;
    }
    actix_web::rt::spawn(async move {
        loop {
            let (storage, plugins) = (storage.clone(), Arc::clone(&plugins));
            if let Err(error) =
                web::block(move || plugins.tick(&storage, tenantry_storage::now())).await
            {
                log::error!("plugin tick did not run: {error}");
            }
            // A pause after each tick, however long it took: ticks never pile up.
            actix_web::rt::time::sleep(every).await;
        }
    });
}

/// Once at start-up and then daily, deletes what outlived its use (see
/// `tenantry_storage::housekeeping`): ended tokens and sessions, old mail.
pub fn spawn_housekeeping(storage: tenantry_storage::Storage, keep_messages: chrono::Duration) {
    actix_web::rt::spawn(async move {
        let mut days = actix_web::rt::time::interval(Duration::from_secs(24 * 60 * 60));
        loop {
            days.tick().await;
            let storage = storage.clone();
            let run = web::block(move || {
                storage.write(|w| {
                    tenantry_storage::housekeeping::prune(w, tenantry_storage::now(), keep_messages)
                })
            });
            match run.await {
                Ok(Ok(pruned)) => log::info!("housekeeping: deleted {pruned:?}"),
                Ok(Err(error)) => log::error!("housekeeping failed: {error}"),
                Err(error) => log::error!("housekeeping did not run: {error}"),
            }
        }
    });
}

/// Once a minute, forgets what the login guards remember (sources whose allowance is whole
/// again, unknown accounts whose count and lock ran out), so their memory stays bounded by the
/// recent traffic.
pub fn spawn_login_guard_pruning(state: web::Data<crate::state::AppState>) {
    actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(Duration::from_secs(60)).await;
            state.login_throttle.forget_idle();
            state
                .unknown_accounts
                .forget_expired(tenantry_storage::now(), &state.lockout_policy);
        }
    });
}
