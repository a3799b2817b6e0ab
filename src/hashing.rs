//! TODO: hashing
