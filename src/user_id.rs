//! TODO: user_id
