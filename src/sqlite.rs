//! TODO: sqlite
