//! The background roll-up of chart statistics (`tenantry_storage::stats`): today every
//! `stats.rollup_seconds`, and the day before once more after it has ended, so that its last
//! sessions count, and past days a session reported late changed. Several replicas may each run it: a roll-up replaces a day's rows in one
//! transaction, so the last one wins and they agree.

use std::time::Duration;

use actix_web::web;
use tenantry_storage::{Storage, stats};

/// Starts the task on the current actix runtime; `every` of zero starts nothing.
pub fn spawn(storage: Storage, every: Duration) {
    if every.is_zero() {
        return;
    }
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(every);
        loop {
            ticks.tick().await;
            let storage = storage.clone();
            match web::block(move || stats::roll_up_due(&storage, tenantry_storage::now())).await {
                Ok(Ok(days)) => log::debug!("rolled up {days:?}"),
                Ok(Err(error)) => log::error!("chart roll-up failed: {error}"),
                Err(error) => log::error!("chart roll-up did not run: {error}"),
            }
        }
    });
}
