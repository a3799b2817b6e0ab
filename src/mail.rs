//! TODO: mail
