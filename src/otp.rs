//! TODO: otp
