//! Shared fixtures: the manual's example person as a member types her details, one-field edits
//! of that form, and the serde round trip that every validated type keeps.

use std::fmt::Debug;

use kenpo_auth::IdentityForm;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// ケンポ ショウコ's first-authentication form (insured person 06139999 / 12-3 / 4567, born
/// 1970-03-02), with her name typed as `name_kana`.
pub fn form_named(name_kana: &str) -> IdentityForm {
    IdentityForm {
        insurer_code: "06139999".into(),
        symbol: "12-3".into(),
        number: "4567".into(),
        birth_date: "1970-03-02".into(),
        name_kana: name_kana.into(),
    }
}

/// A change to one field of a form.
pub type Edit = fn(&mut IdentityForm);

/// `form` with `edit` made to it.
pub fn edited(mut form: IdentityForm, edit: Edit) -> IdentityForm {
    edit(&mut form);
    form
}

/// `value` is written as `json` and read back as itself.
pub fn assert_json_round_trip<T>(value: &T, json: &str)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    assert_eq!(serde_json::to_string(value).unwrap(), json);
    assert_eq!(&serde_json::from_str::<T>(json).unwrap(), value);
}

/// Each of `jsons` is refused when read as a `T`: reading validates as parsing does.
pub fn assert_json_refused<T: DeserializeOwned + Debug>(jsons: &[&str]) {
    for json in jsons {
        let read = serde_json::from_str::<T>(json);
        assert!(read.is_err(), "{json} read as {read:?}");
    }
}
