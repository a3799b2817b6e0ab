//! Benchmark stub for credentials; filled in by its issue.
fn main() {}
