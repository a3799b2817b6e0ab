//! TODO: kana
