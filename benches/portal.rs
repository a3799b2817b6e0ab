//! Benchmark stub for portal; filled in by its issue.
fn main() {}
