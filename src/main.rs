//! The `faasm-engine` command line.
fn main() {}
