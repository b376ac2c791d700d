//! The group tree: reads scoped to a caller's subtree, and the changes that keep every tree
//! rule true under concurrency.

mod company;
mod import;
mod lookup;
mod read;
pub(crate) mod row;
mod write;

pub use company::{get_company, put_company};
pub use import::{Exported, Imported, export, import};
pub use lookup::{Contents, by_name, contents, names, subtree_device_counts};
pub(crate) use read::in_subtree;
pub use read::{DescendantFilter, StateFilter, ancestors, children, descendants, get, root};
pub use write::{create, create_root, delete, hold, parent_not_found, update};

/// The subtree a caller may see: its own group's path. Every read and write takes one, and
/// anything outside it is reported exactly as if it did not exist.
pub type Scope = tenantry_domain::TreePath;
