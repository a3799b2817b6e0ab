//! The whole sign-up and login journey (written as the portal lands).
fn main() {}
