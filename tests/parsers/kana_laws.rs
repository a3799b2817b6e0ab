//! The laws of kana folding, in proptest: idempotence, `equivalent` agrees with `fold`, every
//! spelling of a name folds to one key, agreement with a Unicode-normalisation reference, and
//! no input panics.

use kenpo_auth::MessageJa;
use kenpo_auth::kana::{self, KanaName, NameError};
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

use crate::kana_reference::reference;

/// Each key character and the spellings that fold to it (plain first).
const FAMILIES: &[(char, &str)] = &[
    ('ア', "アァ"),
    ('イ', "イィヰヸ"),
    ('ウ', "ウゥヴ"),
    ('エ', "エェヱヹ"),
    ('オ', "オォヲヺ"),
    ('カ', "カガヵ"),
    ('キ', "キギ"),
    ('ク', "クグㇰ"),
    ('ケ', "ケゲヶ"),
    ('コ', "コゴ"),
    ('サ', "サザ"),
    ('シ', "シジㇱ"),
    ('ス', "スズㇲ"),
    ('セ', "セゼ"),
    ('ソ', "ソゾ"),
    ('タ', "タダ"),
    ('チ', "チヂ"),
    ('ツ', "ツッヅ"),
    ('テ', "テデ"),
    ('ト', "トドㇳ"),
    ('ナ', "ナ"),
    ('ニ', "ニ"),
    ('ヌ', "ヌㇴ"),
    ('ネ', "ネ"),
    ('ノ', "ノ"),
    ('ハ', "ハバパㇵ"),
    ('ヒ', "ヒビピㇶ"),
    ('フ', "フブプㇷ"),
    ('ヘ', "ヘベペㇸ"),
    ('ホ', "ホボポㇹ"),
    ('マ', "マ"),
    ('ミ', "ミ"),
    ('ム', "ムㇺ"),
    ('メ', "メ"),
    ('モ', "モ"),
    ('ヤ', "ヤャ"),
    ('ユ', "ユュ"),
    ('ヨ', "ヨョ"),
    ('ラ', "ラㇻ"),
    ('リ', "リㇼ"),
    ('ル', "ルㇽ"),
    ('レ', "レㇾ"),
    ('ロ', "ロㇿ"),
    ('ワ', "ワヮヷ"),
    ('ン', "ン"),
    ('ー', "ー-‐‑–—―−－ｰ〜～"),
];

const HALF_FROM: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
const HALF_TO: &str = "ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ";

const SEPARATORS: &[&str] = &[
    " ", "　", "・", "･", "\t", "\u{200B}", "\u{A0}", "＝", "=", "\u{FEFF}",
];

#[derive(Clone, Copy, Debug)]
enum Mode {
    Katakana,
    Hiragana,
    HalfWidth,
    NfdKatakana,
    NfdHiragana,
    SpacingMarks,
    Mixed,
}

const MODES: [Mode; 7] = [
    Mode::Katakana,
    Mode::Hiragana,
    Mode::HalfWidth,
    Mode::NfdKatakana,
    Mode::NfdHiragana,
    Mode::SpacingMarks,
    Mode::Mixed,
];

fn hiragana(c: char) -> char {
    match c {
        'ァ'..='ヶ' => char::from_u32(u32::from(c) - 0x60).unwrap(),
        _ => c,
    }
}

fn half_width(base: char, key: char) -> char {
    HALF_FROM
        .chars()
        .position(|f| f == base)
        .or_else(|| HALF_FROM.chars().position(|f| f == key))
        .map_or(base, |i| HALF_TO.chars().nth(i).unwrap())
}

/// Renders one spelling `v` (of key character `key`) in `mode`.
fn render(v: char, key: char, mode: Mode, out: &mut String) {
    match mode {
        Mode::Katakana => out.push(v),
        Mode::Hiragana => out.push(hiragana(v)),
        Mode::NfdKatakana => out.extend(v.to_string().nfd()),
        Mode::NfdHiragana => out.extend(hiragana(v).to_string().nfd()),
        Mode::HalfWidth | Mode::SpacingMarks => {
            for c in v.to_string().nfd() {
                out.push(match (mode, c) {
                    (Mode::HalfWidth, '\u{3099}') => 'ﾞ',
                    (Mode::HalfWidth, '\u{309A}') => 'ﾟ',
                    (Mode::HalfWidth, _) if v == 'ー' => 'ｰ',
                    (Mode::HalfWidth, _) => half_width(c, key),
                    (_, '\u{3099}') => '゛',
                    (_, '\u{309A}') => '゜',
                    _ => c,
                });
            }
        }
        Mode::Mixed => unreachable!(),
    }
}

/// One generated character: (key index, spelling choice, separator choice, iteration choice,
/// mode choice for mixed names).
type Gen = (usize, u8, u8, u8, u8);

fn name_strategy() -> impl Strategy<Value = (Vec<Gen>, usize)> {
    (
        prop::collection::vec(
            (
                0..FAMILIES.len(),
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
            ),
            1..24,
        ),
        0..MODES.len(),
    )
}

/// The expected key, and a spelling of it in the given mode.
fn spell(chars: &[Gen], mode: usize) -> (String, String) {
    let mut key = String::new();
    let mut text = String::new();
    let mut previous: Option<char> = None;
    for &(k, variant, sep, iteration, mixed) in chars {
        let (key_char, family) = FAMILIES[k];
        let mode = match MODES[mode] {
            Mode::Mixed => MODES[usize::from(mixed) % (MODES.len() - 1)],
            m => m,
        };
        if sep % 4 == 0 {
            text.push_str(SEPARATORS[usize::from(sep / 4) % SEPARATORS.len()]);
        }
        key.push(key_char);
        if previous == Some(key_char) && key_char != 'ー' && iteration % 3 == 0 {
            let hira = matches!(mode, Mode::Hiragana | Mode::NfdHiragana);
            text.push(match (hira, iteration % 2 == 0) {
                (true, true) => 'ゝ',
                (true, false) => 'ゞ',
                (false, true) => 'ヽ',
                (false, false) => 'ヾ',
            });
        } else {
            let spellings: Vec<char> = family.chars().collect();
            let v = spellings[usize::from(variant) % spellings.len()];
            render(v, key_char, mode, &mut text);
        }
        previous = Some(key_char);
    }
    (key, text)
}

/// Kana-heavy strings: every character of the kana blocks, separators, look-alikes, and some
/// characters that must be refused.
fn kana_soup() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        8 => (0x3040u32..=0x30FF).prop_map(|c| char::from_u32(c).unwrap()),
        3 => (0xFF61u32..=0xFF9F).prop_map(|c| char::from_u32(c).unwrap()),
        1 => (0x31F0u32..=0x31FF).prop_map(|c| char::from_u32(c).unwrap()),
        2 => prop::sample::select(vec![' ', '　', '-', '〜', '=', '\t', '\u{200B}', 'a', '1', '山', '\n', '😀']),
        1 => any::<char>(),
    ];
    prop::collection::vec(ch, 0..40).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #[test]
    fn every_spelling_folds_to_one_key((chars, mode) in name_strategy()) {
        let (key, text) = spell(&chars, mode);
        prop_assert_eq!(kana::fold(&text), Ok(key.clone()), "{:?} in {:?}", text, MODES[mode]);
        prop_assert!(kana::equivalent(&text, &key));
        // Every other rendering of the same characters too.
        for other in 0..MODES.len() {
            let (_, other_text) = spell(&chars, other);
            prop_assert!(kana::equivalent(&text, &other_text), "{:?} vs {:?}", text, other_text);
        }
    }

    #[test]
    fn fold_is_idempotent(s in kana_soup()) {
        if let Ok(key) = kana::fold(&s) {
            prop_assert_eq!(kana::fold(&key), Ok(key.clone()));
        }
    }

    #[test]
    fn fold_is_idempotent_on_any_string(s in "\\PC*") {
        if let Ok(key) = kana::fold(&s) {
            prop_assert_eq!(kana::fold(&key), Ok(key.clone()));
        }
    }

    #[test]
    fn equivalent_agrees_with_fold(a in kana_soup(), b in kana_soup()) {
        let expected = matches!((kana::fold(&a), kana::fold(&b)), (Ok(x), Ok(y)) if x == y);
        prop_assert_eq!(kana::equivalent(&a, &b), expected);
        prop_assert_eq!(kana::equivalent(&b, &a), expected);
        prop_assert_eq!(kana::equivalent(&a, &a), kana::fold(&a).is_ok());
    }

    #[test]
    fn equivalent_agrees_with_fold_on_near_spellings(
        (chars, mode) in name_strategy(),
        (other, other_mode) in name_strategy(),
    ) {
        // Two names that often share a prefix: the streams must agree char by char.
        let (_, a) = spell(&chars, mode);
        let mut mixed = chars.clone();
        mixed.truncate(other.len().min(chars.len()));
        mixed.extend(other);
        let (_, b) = spell(&mixed, other_mode);
        let expected = matches!((kana::fold(&a), kana::fold(&b)), (Ok(x), Ok(y)) if x == y);
        prop_assert_eq!(kana::equivalent(&a, &b), expected);
    }

    #[test]
    fn fold_agrees_with_the_normalisation_reference(
        v in prop::collection::vec(
            prop_oneof![
                (0x3041u32..=0x3096).prop_map(|c| char::from_u32(c).unwrap()),
                (0x30A1u32..=0x30FA).prop_map(|c| char::from_u32(c).unwrap()),
                (0xFF66u32..=0xFF9F).prop_map(|c| char::from_u32(c).unwrap()),
                prop::sample::select(vec![' ', '・', 'ー', '\u{3099}', '\u{309A}', '゛', '゜']),
            ],
            1..30,
        )
    ) {
        let s: String = v.into_iter().collect();
        let expected = reference(&s);
        let got = kana::fold(&s);
        if expected.is_empty() {
            prop_assert_eq!(got, Err(NameError::Empty));
        } else {
            prop_assert_eq!(got, Ok(expected));
        }
    }

    #[test]
    fn errors_point_at_the_offending_character(s in kana_soup()) {
        if let Err(NameError::InvalidChar { ch, position }) = kana::fold(&s) {
            prop_assert_eq!(s.chars().nth(position - 1), Some(ch));
            // Everything before it is accepted.
            let before: String = s.chars().take(position - 1).collect();
            let before_ok = !matches!(kana::fold(&before), Err(NameError::InvalidChar { .. }));
            prop_assert!(before_ok);
        }
    }

    #[test]
    fn kana_name_agrees_with_fold(s in kana_soup()) {
        match KanaName::parse(&s) {
            Ok(name) => {
                prop_assert_eq!(Ok(name.folded().to_owned()), kana::fold(&s));
                prop_assert_eq!(name.as_str(), s.as_str());
            }
            Err(e) => prop_assert_eq!(Err(e), kana::fold(&s)),
        }
    }

    #[test]
    fn nothing_panics(s in any::<String>(), t in any::<String>()) {
        let _ = kana::fold(&s);
        let _ = kana::equivalent(&s, &t);
        let _ = KanaName::parse(&s).map(|n| n.to_string());
        if let Err(e) = kana::fold(&s) {
            let _ = (e.to_string(), e.message_ja());
        }
    }
}
