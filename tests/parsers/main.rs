//! The parsers: kana names, identity fields, user IDs, passwords, e-mail addresses — what
//! they accept, what they refuse and why, laws in proptest, and measurements against public
//! corpora.
#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::panic, clippy::indexing_slicing, clippy::cast_precision_loss)]

mod support;

mod client_network;
mod config;
mod email;
mod identity_form;
mod identity_laws;
mod identity_matching;
mod kana_laws;
mod kana_name;
mod kana_reference;
mod password;
mod password_corpus;
mod password_laws;
mod roster_csv;
mod user_id;
