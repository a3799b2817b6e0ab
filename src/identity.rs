//! TODO: identity
