//! The grammar of a kana name, written once: what each character adds to the folded key.
//!
//! [`lookup`] is the specification. It gives every character a [`Code`] of one byte: either a
//! key character (a large, plain, full-width katakana or `ー`, all in U+30A0..=U+30FF, stored as
//! its low byte, so always [`FIRST_KEY`] or more) or one of the small sentinels below: skip
//! it, repeat the key character before it, expand to two key characters, or refuse it.
//! [`piece`] is the one place that says what each code adds to the key.
//!
//! The walks of the parent module (`fold`, the stream behind `equivalent`, the error report)
//! read the grammar only through this module: a character's code comes from [`lookup`] itself
//! or from the tables built from it at compile time ([`step`] for any character, and
//! [`fast_lookup`] for the three-byte ones that add themselves or nothing), and its meaning
//! from [`piece`]. The tests check every table against [`lookup`] for every character.
//!
//! One byte per code makes comparing two keys a byte comparison and lets [`key_char`] rebuild
//! a `char` the compiler knows to be three bytes of UTF-8.

/// What a character means for the key: a sentinel (below [`FIRST_KEY`]) or the low byte of a
/// key character in U+30A0..=U+30FF.
pub(super) type Code = u8;

/// The character is not allowed in a name.
pub(super) const INVALID: Code = 0;
/// The character is ignored: a separator or a voicing mark.
pub(super) const SKIP: Code = 1;
/// An iteration mark: repeat the key character before it.
pub(super) const ITERATE: Code = 2;
/// `ゟ`: the two key characters `ヨリ`.
pub(super) const YORI: Code = 3;
/// `ヿ`: the two key characters `コト`.
pub(super) const KOTO: Code = 4;
/// Every key character's code is at least this (`゠` U+30A0 is the lowest key-block code point).
pub(super) const FIRST_KEY: Code = 0xA0;

/// The code of a key character in U+30A0..=U+30FF (its low byte); [`INVALID`] for any other
/// character, which the tests rule out for every table entry.
#[allow(clippy::cast_possible_truncation)]
const fn key(c: char) -> Code {
    let cp = c as u32;
    if cp >= 0x30A0 && cp <= 0x30FF {
        (cp - 0x3000) as Code
    } else {
        INVALID
    }
}

/// The key character of a code of [`FIRST_KEY`] or more.
///
/// `0x3000 | code` is always in U+3000..=U+30FF, so the compiler proves `from_u32` succeeds
/// and the character is three bytes of UTF-8: `String::push` compiles to a capacity check and
/// three byte stores, with no branch on the length.
#[inline]
pub(super) fn key_char(code: Code) -> char {
    char::from_u32(0x3000 | u32::from(code)).unwrap_or('ー')
}

/// The prolonged-sound mark, which every look-alike folds to.
const CHOON: Code = key('ー');

// ---------------------------------------------------------------------------------------------
// The specification: what each character means.
// ---------------------------------------------------------------------------------------------

/// What one input character means for the key: the code of the key character it folds to, or
/// [`SKIP`], [`ITERATE`], [`YORI`], [`KOTO`] or [`INVALID`]. This is the specification; the
/// tables that the walks read ([`FAST`], [`ASCII`]) are built from it at compile time, and
/// [`piece`] gives the sentinels their meaning.
// Each index below is in bounds: the arm's range is the array's (and at compile time an index
// out of range would fail the build). Voicing marks and separators are both skipped, but they
// are different rules, so they keep arms of their own.
#[allow(clippy::indexing_slicing, clippy::match_same_arms)]
pub(super) const fn lookup(ch: char) -> Code {
    let cp = ch as u32;
    match ch {
        // Width and script: hiragana sit 0x60 below their katakana twins; half-width forms
        // map through a table (ｰ included).
        'ぁ'..='ゖ' => plain_katakana(cp + 0x60),
        'ァ'..='ヺ' => plain_katakana(cp),
        'ｦ'..='ﾝ' => plain_katakana(HALF_TO_FULL[(cp - 0xFF66) as usize]),
        // Small kana of the Katakana Phonetic Extensions (ㇰ..ㇿ) and of the Small Kana
        // Extension (small hiragana ko, wi, we, wo; small katakana ko, wi, we, wo, n).
        'ㇰ'..='ㇿ' => PHONETIC_EXTENSIONS[(cp - 0x31F0) as usize],
        '\u{1B132}' | '\u{1B155}' => key('コ'),
        '\u{1B150}' | '\u{1B164}' => key('イ'),
        '\u{1B151}' | '\u{1B165}' => key('エ'),
        '\u{1B152}' | '\u{1B166}' => key('オ'),
        '\u{1B167}' => key('ン'),
        // Expansions to two key characters.
        'ゟ' => YORI,
        'ヿ' => KOTO,
        // Iteration marks.
        'ゝ' | 'ゞ' | 'ヽ' | 'ヾ' => ITERATE,
        // Voicing marks: combining U+3099 U+309A, spacing ゛゜, half-width ﾞﾟ.
        '\u{3099}'..='\u{309C}' | 'ﾞ' | 'ﾟ' => SKIP,
        // Separators: spaces, tab, no-break and zero-width spaces, word joiner, BOM, and the
        // name separators.
        ' ' | '\t' | '\u{00A0}' | '\u{200B}' | '\u{202F}' | '\u{2060}' | '\u{3000}'
        | '\u{FEFF}' | '・' | '･' | '゠' | '=' | '＝' => SKIP,
        // The prolonged-sound mark and its look-alikes: ー - ‐ ‑ ‒ – — ― − 〜 － ～
        'ー' | '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '〜' | '－' | '～' => CHOON,
        // Everything else: kanji, Latin letters, digits, punctuation, emoji, controls, and the
        // unassigned U+3040, U+3097, U+3098.
        _ => INVALID,
    }
}

/// The code of the large, plain form of a full-width katakana code point (ァ..ヺ; ー stays).
const fn plain_katakana(cp: u32) -> Code {
    let plain = match cp {
        // ァィゥェォ -> アイウエオ, ャュョ -> ヤユヨ
        0x30A1 | 0x30A3 | 0x30A5 | 0x30A7 | 0x30A9 | 0x30E3 | 0x30E5 | 0x30E7 => cp + 1,
        // カ..ヂ: the voiced kana sit one after their plain twin.
        0x30AB..=0x30C2 => {
            if (cp - 0x30AB) % 2 == 1 {
                cp - 1
            } else {
                cp
            }
        }
        // ッ ヅ -> ツ
        0x30C3 | 0x30C5 => 0x30C4,
        // デ -> テ, ド -> ト
        0x30C7 | 0x30C9 => cp - 1,
        // ハ..ポ in groups of three: plain, voiced, semi-voiced.
        0x30CF..=0x30DD => cp - (cp - 0x30CF) % 3,
        // ヮ -> ワ, ヷ -> ワ
        0x30EE | 0x30F7 => 0x30EF,
        // ヰ ヸ -> イ
        0x30F0 | 0x30F8 => 0x30A4,
        // ヱ ヹ -> エ
        0x30F1 | 0x30F9 => 0x30A8,
        // ヲ ヺ -> オ
        0x30F2 | 0x30FA => 0x30AA,
        // ヴ -> ウ
        0x30F4 => 0x30A6,
        // ヵ -> カ, ヶ -> ケ
        0x30F5 => 0x30AB,
        0x30F6 => 0x30B1,
        _ => cp,
    };
    match char::from_u32(plain) {
        Some(c) => key(c),
        None => INVALID,
    }
}

/// The full-width twin of each half-width form U+FF66..=U+FF9D (ｦ..ﾝ).
const HALF_TO_FULL: [u32; 0x38] = [
    0x30F2, // ｦ
    0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9, // ｧｨｩｪｫ
    0x30E3, 0x30E5, 0x30E7, // ｬｭｮ
    0x30C3, // ｯ
    0x30FC, // ｰ
    0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, // ｱｲｳｴｵ
    0x30AB, 0x30AD, 0x30AF, 0x30B1, 0x30B3, // ｶｷｸｹｺ
    0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, // ｻｼｽｾｿ
    0x30BF, 0x30C1, 0x30C4, 0x30C6, 0x30C8, // ﾀﾁﾂﾃﾄ
    0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE, // ﾅﾆﾇﾈﾉ
    0x30CF, 0x30D2, 0x30D5, 0x30D8, 0x30DB, // ﾊﾋﾌﾍﾎ
    0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2, // ﾏﾐﾑﾒﾓ
    0x30E4, 0x30E6, 0x30E8, // ﾔﾕﾖ
    0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED, // ﾗﾘﾙﾚﾛ
    0x30EF, 0x30F3, // ﾜﾝ
];

/// U+31F0..=U+31FF: ㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ, each folded to its large kana.
const PHONETIC_EXTENSIONS: [Code; 0x10] = [
    key('ク'),
    key('シ'),
    key('ス'),
    key('ト'),
    key('ヌ'),
    key('ハ'),
    key('ヒ'),
    key('フ'),
    key('ヘ'),
    key('ホ'),
    key('ム'),
    key('ラ'),
    key('リ'),
    key('ル'),
    key('レ'),
    key('ロ'),
];

// ---------------------------------------------------------------------------------------------
// What a code adds to the key.
// ---------------------------------------------------------------------------------------------

/// What one character adds to the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Piece {
    /// Nothing: a separator or a voicing mark.
    Nothing,
    /// One key character.
    One(Code),
    /// Two key characters (`ゟ` → `ヨリ`, `ヿ` → `コト`).
    Two(Code, Code),
    /// A character that is not allowed in a name.
    Invalid,
    /// An iteration mark with no key character before it.
    IterationAtStart,
}

/// What a character whose code is `code` adds to the key, when `last` is the key character
/// before it (`None` at the start of the key). The only interpretation of the sentinels.
/// `fold`'s fast loop alone does without it, for the codes [`fast_lookup`] hands back: a key
/// character adds itself and [`SKIP`] nothing, whatever came before (a test checks this).
// Always inlined: the walks' own `match` on the result then folds into this one.
#[allow(clippy::inline_always)]
#[inline(always)]
pub(super) fn piece(code: Code, last: Option<Code>) -> Piece {
    if code >= FIRST_KEY {
        return Piece::One(code);
    }
    match code {
        SKIP => Piece::Nothing,
        ITERATE => match last {
            Some(last) => Piece::One(last),
            None => Piece::IterationAtStart,
        },
        YORI => Piece::Two(key('ヨ'), key('リ')),
        KOTO => Piece::Two(key('コ'), key('ト')),
        _ => Piece::Invalid,
    }
}

// ---------------------------------------------------------------------------------------------
// Reading codes from UTF-8, through tables built from `lookup`.
// ---------------------------------------------------------------------------------------------

/// [`lookup`] for ASCII, by byte.
static ASCII: [Code; 0x80] = build_ascii();

// Evaluated at compile time: an index out of range would fail the build, not panic.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const fn build_ascii() -> [Code; 0x80] {
    let mut table = [INVALID; 0x80];
    let mut b = 0;
    while b < 0x80 {
        table[b] = lookup(b as u8 as char);
        b += 1;
    }
    table
}

/// Decodes the first character of valid UTF-8 (2 to 4 bytes) and looks it up.
#[cold]
fn decode(rest: &[u8]) -> (Code, usize) {
    let c = |b: u8| u32::from(b & 0x3F);
    let (cp, len) = match *rest {
        [b0 @ 0xC0..=0xDF, b1, ..] => ((u32::from(b0 & 0x1F) << 6) | c(b1), 2),
        [b0 @ 0xE0..=0xEF, b1, b2, ..] => ((u32::from(b0 & 0x0F) << 12) | (c(b1) << 6) | c(b2), 3),
        [b0, b1, b2, b3, ..] => (
            (u32::from(b0 & 0x07) << 18) | (c(b1) << 12) | (c(b2) << 6) | c(b3),
            4,
        ),
        // Not reachable for valid UTF-8.
        _ => (0, 1),
    };
    (char::from_u32(cp).map_or(INVALID, lookup), len)
}

/// The table of [`fast_lookup`], indexed by the low 12 bits of a three-byte character's code
/// point: the lead byte of the one character with those bits that is a key character or
/// skipped, with its code, as `lead << 8 | code`; [`NO_LEAD`] where there is none.
///
/// The three-byte characters that matter differ in their low 12 bits: U+3000..=U+31FF (lead
/// `E3`), U+FEFF and U+FF00..=U+FFFF (lead `EF`), and the dashes and spaces of U+2000..=U+20FF
/// (lead `E2`) except U+2060, whose bits `だ` U+3060 has; U+2060 is left to [`step`]. A test
/// checks [`fast_lookup`] against [`lookup`] for every character.
static FAST: [u16; FAST_LEN] = build_fast();

/// Entries in [`FAST`]: the low 12 bits of a code point.
const FAST_LEN: usize = 0x1000;

/// A [`FAST`] entry that no lead byte matches (`FF` never occurs in UTF-8).
const NO_LEAD: u16 = 0xFF00;

// Evaluated at compile time: an index out of range would fail the build, not panic, and the
// array is never on the stack at run time.
#[allow(clippy::indexing_slicing, clippy::large_stack_arrays)]
const fn build_fast() -> [u16; FAST_LEN] {
    let mut table = [NO_LEAD; FAST_LEN];
    // Later blocks win; U+3060 (だ) must win over U+2060.
    let blocks: [(u32, u16); 3] = [(0x2000, 0xE2), (0xF000, 0xEF), (0x3000, 0xE3)];
    let mut b = 0;
    while b < blocks.len() {
        let (base, lead) = blocks[b];
        let mut low = 0;
        while low < 0x1000 {
            if let Some(ch) = char::from_u32(base | low) {
                let code = lookup(ch);
                if code == SKIP || code >= FIRST_KEY {
                    table[low as usize] = (lead << 8) | code as u16;
                }
            }
            low += 1;
        }
        b += 1;
    }
    table
}

/// The code of a three-byte character `b0 b1 b2` when it is a key character or skipped
/// ([`SKIP`]), read with one table load and one comparison; `None` for anything else (another
/// length, an iteration mark, an invalid character, U+2060), which the caller hands to
/// [`step`].
///
/// When `b0` is a lead byte, `b1 b2` must be the rest of its character (the bytes come from a
/// `str`, read from a character boundary); the bytes of a character of another length never
/// match, because no entry's lead byte is below `E0`.
// Always inlined: it is the body of the hot loops of `fold` and `equivalent`.
#[allow(clippy::inline_always)]
#[inline(always)]
pub(super) fn fast_lookup(b0: u8, b1: u8, b2: u8) -> Option<Code> {
    // The continuation bits of `b1 b2`: the low 12 bits of the code point.
    let i = (usize::from(b1 & 0x3F) << 6) | usize::from(b2 & 0x3F);
    let [code, lead] = FAST.get(i).copied().unwrap_or(NO_LEAD).to_le_bytes();
    (lead == b0).then_some(code)
}

/// The code of the first character of `rest` (as [`lookup`]) and its length in bytes, or
/// `None` when `rest` is empty. `rest` must be valid UTF-8 (a suffix of a `str` at a character
/// boundary).
///
/// Kana, voicing marks and three-byte separators are read by [`fast_lookup`], ASCII by byte,
/// and everything else is decoded first.
#[inline]
pub(super) fn step(rest: &[u8]) -> Option<(Code, usize)> {
    if let [b0, b1, b2, ..] = *rest {
        if let Some(code) = fast_lookup(b0, b1, b2) {
            return Some((code, 3));
        }
    }
    match *rest {
        [] => None,
        [b, ..] if b < 0x80 => Some((ASCII.get(usize::from(b)).copied().unwrap_or(INVALID), 1)),
        _ => Some(decode(rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character's code.
    fn every_code() -> impl Iterator<Item = (char, Code)> {
        (0..=0x10_FFFFu32)
            .filter_map(char::from_u32)
            .map(|ch| (ch, lookup(ch)))
    }

    #[test]
    fn every_output_is_large_plain_katakana_or_choon() {
        let allowed: Vec<char> = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンー"
            .chars()
            .collect();
        for (ch, c) in every_code() {
            assert!(
                c <= KOTO || allowed.contains(&key_char(c)),
                "unexpected output {c:?} for {ch:?}"
            );
        }
        // Every key character survives the round trip through its one-byte code.
        for c in allowed {
            assert!(key(c) >= FIRST_KEY, "{c:?}");
            assert_eq!(key_char(key(c)), c);
        }
    }

    #[test]
    fn step_agrees_with_lookup_for_every_character() {
        for ch in (0..=0x10_FFFFu32).filter_map(char::from_u32) {
            let s = format!("{ch}ア");
            assert_eq!(
                step(s.as_bytes()),
                Some((lookup(ch), ch.len_utf8())),
                "{ch:?}"
            );
        }
        assert_eq!(step(b""), None);
    }

    #[test]
    fn fast_lookup_agrees_with_lookup_for_every_three_byte_character() {
        let mut fast = 0;
        for ch in ('\u{800}'..='\u{FFFF}').filter(|c| c.len_utf8() == 3) {
            let mut buf = [0; 3];
            ch.encode_utf8(&mut buf);
            let [b0, b1, b2] = buf;
            match fast_lookup(b0, b1, b2) {
                Some(code) => {
                    assert_eq!(code, lookup(ch), "{ch:?}");
                    fast += 1;
                }
                None => assert!(
                    !(lookup(ch) == SKIP || lookup(ch) >= FIRST_KEY) || ch == '\u{2060}',
                    "{ch:?} missed the fast table"
                ),
            }
        }
        assert!(fast > 200, "{fast}");
        // Bytes that do not start a three-byte character never hit.
        for b0 in (0..0xE0).chain(0xF0..=0xFF) {
            for (b1, b2) in [(0x82, 0xA2), (0xBD, 0xB1), (0x80, 0x80)] {
                assert_eq!(fast_lookup(b0, b1, b2), None, "{b0:#X}");
            }
        }
    }

    #[test]
    fn fast_codes_need_no_context() {
        // What `fold`'s fast loop and `equivalent`'s stream rely on when they take a code from
        // `fast_lookup` without asking `piece`: it adds itself or nothing, whatever came before.
        for (i, entry) in FAST.iter().enumerate() {
            let [code, lead] = entry.to_le_bytes();
            if lead != 0xFF {
                for last in [None, Some(key('ア'))] {
                    let expected = if code == SKIP {
                        Piece::Nothing
                    } else {
                        Piece::One(code)
                    };
                    assert_eq!(piece(code, last), expected, "{i:#X}");
                }
            }
        }
    }

    #[test]
    fn piece_gives_each_sentinel_its_meaning() {
        let a = key('ア');
        assert_eq!(piece(a, None), Piece::One(a));
        assert_eq!(piece(SKIP, Some(a)), Piece::Nothing);
        assert_eq!(piece(ITERATE, Some(a)), Piece::One(a));
        assert_eq!(piece(ITERATE, None), Piece::IterationAtStart);
        assert_eq!(piece(YORI, None), Piece::Two(key('ヨ'), key('リ')));
        assert_eq!(piece(KOTO, Some(a)), Piece::Two(key('コ'), key('ト')));
        assert_eq!(piece(INVALID, Some(a)), Piece::Invalid);
    }

    #[test]
    fn lookup_is_the_specification() {
        // Spot checks of `lookup` by block, independent of the table layout.
        assert_eq!(lookup('\u{3000}'), SKIP);
        assert_eq!(lookup('〜'), CHOON);
        assert_eq!(key_char(CHOON), 'ー');
        assert_eq!(lookup('、'), INVALID);
        assert_eq!(lookup('－'), CHOON);
        assert_eq!(lookup('＝'), SKIP);
        assert_eq!(lookup('～'), CHOON);
        assert_eq!(lookup('Ａ'), INVALID);
        assert_eq!(key_char(lookup('ｶ')), 'カ');
        assert_eq!(lookup('\u{FFA0}'), INVALID);
        assert_eq!(key_char(lookup('ㇰ')), 'ク');
        assert_eq!(lookup('ゟ'), YORI);
        assert_eq!(lookup('ヾ'), ITERATE);
        assert_eq!(lookup(' '), SKIP);
        assert_eq!(lookup('-'), CHOON);
        assert_eq!(lookup('a'), INVALID);
    }

    #[test]
    fn outputs_are_three_bytes_of_utf8() {
        for (ch, c) in every_code() {
            assert!(c <= KOTO || c >= FIRST_KEY, "{c:?} for {ch:?}");
            assert!(c <= KOTO || ('\u{30A0}'..='\u{30FF}').contains(&key_char(c)));
        }
    }

    #[test]
    fn half_width_table_matches_its_glyphs() {
        let half = "ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ";
        let full = "オアイウエオヤユヨツーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
        let got: String = half.chars().map(|c| key_char(lookup(c))).collect();
        assert_eq!(got, full);
    }
}
