//! The migrations are embedded at compile time: a new migration directory must rebuild the
//! crate (diesel's guide asks for exactly this).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
