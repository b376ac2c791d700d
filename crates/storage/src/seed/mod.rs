//! Bulk generation of a large installation — a group tree, then devices with their history — for
//! benchmarks and for trying the console at scale.

mod devices;
mod tree;

pub use devices::{DeviceSeed, DeviceSeedReport, seed_devices};
pub use tree::{SeedReport, seed_tree};
