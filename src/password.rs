//! TODO: password
