//! Scaling out (documentation only): TODO.
