//! The kana folding that Unicode normalisation gives: the reference the laws check
//! `kana::fold` against (`kana_laws.rs`), and the naive baseline the kana benchmark times it
//! against (`benches/kana.rs` includes this file), so that what is timed is what is checked.

use unicode_normalization::UnicodeNormalization;

/// The naive pipeline, valid for kana without iteration marks or the Katakana Phonetic
/// Extensions: NFKC, NFD, drop voicing marks, hiragana to katakana, small and old kana to large,
/// drop separators — each step a new `String`.
pub(crate) fn reference(s: &str) -> String {
    let nfkc: String = s.nfkc().collect();
    let nfd: String = nfkc.nfd().collect();
    let unvoiced: String = nfd
        .chars()
        .filter(|c| !matches!(c, '\u{3099}' | '\u{309A}' | '゛' | '゜'))
        .collect();
    let katakana: String = unvoiced
        .chars()
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(u32::from(c) + 0x60).unwrap(),
            _ => c,
        })
        .collect();
    let large: String = katakana
        .chars()
        .map(|c| match c {
            'ァ' | 'ィ' | 'ゥ' | 'ェ' | 'ォ' | 'ャ' | 'ュ' | 'ョ' | 'ッ' | 'ヮ' => {
                char::from_u32(u32::from(c) + 1).unwrap()
            }
            'ヵ' => 'カ',
            'ヶ' => 'ケ',
            'ヰ' => 'イ',
            'ヱ' => 'エ',
            'ヲ' => 'オ',
            _ => c,
        })
        .collect();
    large.chars().filter(|c| !matches!(c, ' ' | '・')).collect()
}
