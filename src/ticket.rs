//! TODO: ticket
