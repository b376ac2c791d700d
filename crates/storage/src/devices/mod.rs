//! Devices: the protected machines of a group, scoped like groups (a device is in a caller's
//! scope when its group is).

mod counts;
pub mod deployment;
mod listing;
mod own_count;
mod read;
mod row;
mod sessions;
mod summary;
mod usage;
mod write;

pub use counts::counts;
pub use listing::{DeviceFilter, DeviceSort, list};
pub(crate) use own_count::recount;
pub use read::get;
pub use sessions::{HistoryDay, by_credential, history, report};
pub use summary::{RecentDay, StatusCounts, recent_days, status_counts};
pub use usage::{DeviceUsage, usage};
pub use write::{DeviceChanges, NewDevice, add, create, delete, set_passphrase, update};
