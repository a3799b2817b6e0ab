//! TODO: clock
