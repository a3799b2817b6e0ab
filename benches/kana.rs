//! Benchmark stub for kana; filled in by its issue.
fn main() {}
