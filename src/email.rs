//! TODO: email
