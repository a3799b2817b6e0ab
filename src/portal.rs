//! TODO: portal
