//! Benchmark stub for the SQLite store; filled in by its issue.
fn main() {}
