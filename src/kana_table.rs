//! Lookup tables behind [`crate::kana::fold`]: one entry per input character of the kana
//! blocks, built at compile time.
//!
//! Every entry is one byte, a [`Code`]: either an output character of the folded key (a large,
//! plain, full-width katakana or `ー`, all in U+30A0..=U+30FF, stored as its low byte, so
//! always `0xA0` or more) or one of the small sentinel actions below.
//!
//! One byte per entry keeps the tables small (the hot one is 512 bytes), makes comparing two
//! keys a byte comparison, and lets [`key_char`] rebuild a `char` the compiler knows to be
//! three bytes of UTF-8.

/// An entry of the tables: a sentinel action (below [`FIRST_KEY`]) or the low byte of a key
/// character in U+3000..=U+30FF.
pub(crate) type Code = u8;

/// The character is not allowed in a name.
pub(crate) const INVALID: Code = 0;
/// The character is ignored (separator or voicing mark).
pub(crate) const SKIP: Code = 1;
/// An iteration mark: repeat the previous output character.
pub(crate) const ITERATE: Code = 2;
/// `ゟ`: output `ヨリ`.
pub(crate) const YORI: Code = 3;
/// `ヿ`: output `コト`.
pub(crate) const KOTO: Code = 4;
/// Every key character's code is at least this (`゠` U+30A0 is the lowest key-block code point).
pub(crate) const FIRST_KEY: Code = 0xA0;

/// The code of a key character in U+30A0..=U+30FF (its low byte); [`INVALID`] for any other
/// character, which the tests rule out for every table entry.
#[allow(clippy::cast_possible_truncation)]
pub(crate) const fn key(c: char) -> Code {
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
pub(crate) fn key_char(code: Code) -> char {
    char::from_u32(0x3000 | u32::from(code)).unwrap_or('ー')
}

/// The prolonged-sound mark, which every look-alike folds to.
pub(crate) const CHOON: Code = key('ー');

/// Folds one full-width katakana code point in U+30A1..=U+30FA to its large, plain form.
const fn plain_katakana(cp: u32) -> u32 {
    match cp {
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
    }
}

const fn to_code(cp: u32) -> Code {
    match char::from_u32(cp) {
        Some(c) => key(c),
        None => INVALID,
    }
}

/// First code point covered by [`KANA`] (the hiragana block).
const KANA_START: u32 = 0x3040;

/// U+3040..=U+30FF: hiragana and katakana.
const KANA: [Code; 0xC0] = build_kana();

// Evaluated at compile time: an index out of range would fail the build, not panic.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const fn build_kana() -> [Code; 0xC0] {
    let mut table = [INVALID; 0xC0];
    let mut i = 0;
    while i < 0xC0 {
        let cp = KANA_START + i as u32;
        table[i] = match cp {
            // ぁ..ゖ: the hiragana twin of each katakana sits 0x60 below it.
            0x3041..=0x3096 => to_code(plain_katakana(cp + 0x60)),
            // Combining and spacing (semi-)voiced sound marks; ゠ and ・ separators.
            0x3099..=0x309C | 0x30A0 | 0x30FB => SKIP,
            0x309D | 0x309E | 0x30FD | 0x30FE => ITERATE,
            0x309F => YORI,
            0x30A1..=0x30FA => to_code(plain_katakana(cp)),
            0x30FC => CHOON,
            0x30FF => KOTO,
            // U+3040, U+3097, U+3098 are unassigned.
            _ => INVALID,
        };
        i += 1;
    }
    table
}

/// First code point covered by [`HALF`] (the half-width katakana forms).
const HALF_START: u32 = 0xFF61;

/// The full-width twin of each half-width form U+FF61..=U+FF9F (0 where the character is
/// handled specially).
const HALF_TO_FULL: [u32; 0x3F] = [
    0, 0, 0, 0, 0,      // ｡｢｣､･
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
    0, 0, // ﾞﾟ
];

/// U+FF61..=U+FF9F: half-width katakana and punctuation.
const HALF: [Code; 0x3F] = build_half();

// Evaluated at compile time: an index out of range would fail the build, not panic.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const fn build_half() -> [Code; 0x3F] {
    let mut table = [INVALID; 0x3F];
    let mut i = 0;
    while i < 0x3F {
        let cp = HALF_START + i as u32;
        table[i] = match cp {
            // ･ separator, ﾞ ﾟ voicing marks
            0xFF65 | 0xFF9E | 0xFF9F => SKIP,
            // ｡｢｣､ punctuation
            0xFF61..=0xFF64 => INVALID,
            _ => to_code(plain_katakana(HALF_TO_FULL[i])),
        };
        i += 1;
    }
    table
}

/// First code point covered by [`SMALL_EXT`] (Katakana Phonetic Extensions).
const SMALL_EXT_START: u32 = 0x31F0;

/// U+31F0..=U+31FF: ㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ, each folded to its large kana.
static SMALL_EXT: [Code; 0x10] = [
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

/// Everything outside the three tables.
const fn other(ch: char) -> Code {
    match ch {
        // Separators: spaces, tab, no-break and zero-width spaces, name separators.
        ' ' | '\t' | '=' | '\u{00A0}' | '\u{200B}' | '\u{202F}' | '\u{2060}' | '\u{3000}'
        | '\u{FEFF}' | '＝' => SKIP,
        // Prolonged-sound look-alikes: - ‐ ‑ ‒ – — ― − 〜 － ～
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '〜' | '－' | '～' => CHOON,
        // Small Kana Extension: small hiragana ko, wi, we, wo; small katakana ko, wi, we, wo, n.
        '\u{1B132}' | '\u{1B155}' => key('コ'),
        '\u{1B150}' | '\u{1B164}' => key('イ'),
        '\u{1B151}' | '\u{1B165}' => key('エ'),
        '\u{1B152}' | '\u{1B166}' => key('オ'),
        '\u{1B167}' => key('ン'),
        _ => INVALID,
    }
}

/// U+3000..=U+30FF (CJK punctuation, hiragana, katakana): the characters whose UTF-8 is
/// `E3 80..=83 xx`, indexed by the low 8 bits of the code point.
static BLOCK_30: [Code; 0x100] = build_block_30();

// Evaluated at compile time: an index out of range would fail the build, not panic.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const fn build_block_30() -> [Code; 0x100] {
    let mut table = [INVALID; 0x100];
    let mut i = 0;
    while i < 0x100 {
        let cp = 0x3000 + i as u32;
        table[i] = if cp >= KANA_START {
            KANA[(cp - KANA_START) as usize]
        } else {
            match char::from_u32(cp) {
                Some(c) => other(c),
                None => INVALID,
            }
        };
        i += 1;
    }
    table
}

/// U+FF00..=U+FFFF (full-width ASCII, half-width katakana): the characters whose UTF-8 is
/// `EF BC..=BF xx`, indexed by the low 8 bits of the code point.
static BLOCK_FF: [Code; 0x100] = build_block_ff();

// Evaluated at compile time: an index out of range would fail the build, not panic.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const fn build_block_ff() -> [Code; 0x100] {
    let mut table = [INVALID; 0x100];
    let mut i = 0;
    while i < 0x100 {
        let cp = 0xFF00 + i as u32;
        table[i] = if cp >= HALF_START && cp <= 0xFF9F {
            HALF[(cp - HALF_START) as usize]
        } else {
            match char::from_u32(cp) {
                Some(c) => other(c),
                None => INVALID,
            }
        };
        i += 1;
    }
    table
}

/// What one input character contributes to the folded key: an output character or one of the
/// sentinel actions ([`INVALID`], [`SKIP`], [`ITERATE`], [`YORI`], [`KOTO`]).
#[inline]
pub(crate) fn lookup(ch: char) -> Code {
    let cp = u32::from(ch);
    let (table, start): (&[Code], u32) = match cp {
        0x3000..=0x30FF => (&BLOCK_30, 0x3000),
        0xFF00..=0xFFFF => (&BLOCK_FF, 0xFF00),
        SMALL_EXT_START..=0x31FF => (&SMALL_EXT, SMALL_EXT_START),
        _ => return other(ch),
    };
    usize::try_from(cp - start)
        .ok()
        .and_then(|i| table.get(i).copied())
        .unwrap_or(INVALID)
}

/// [`lookup`] for ASCII, by byte.
#[inline]
fn ascii(b: u8) -> Code {
    match b {
        b' ' | b'\t' | b'=' => SKIP,
        b'-' => CHOON,
        _ => INVALID,
    }
}

/// Decodes the first character of valid UTF-8 (2 to 4 bytes) the slow way.
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

/// [`BLOCK_30`] then [`BLOCK_FF`]: one table for both three-byte fast paths.
static BLOCKS: [Code; 0x200] = build_blocks();

// Evaluated at compile time: an index out of range would fail the build, not panic.
#[allow(clippy::indexing_slicing)]
const fn build_blocks() -> [Code; 0x200] {
    let mut table = [INVALID; 0x200];
    let mut i = 0;
    while i < 0x100 {
        table[i] = BLOCK_30[i];
        table[0x100 + i] = BLOCK_FF[i];
        i += 1;
    }
    table
}

/// The action for a character whose UTF-8 is the three bytes `b0 b1 b2`, when it is in
/// U+3000..=U+30FF (`E3 80..=83 xx`) or U+FF00..=U+FFFF (`EF BC..=BF xx`): looked up straight
/// from its bytes in one table, choosing the half without a branch. `None` for anything else
/// (including bytes that do not start a character).
// Always inlined: it is the body of the hot loops of `fold` and `equivalent`.
#[allow(clippy::inline_always)]
#[inline(always)]
pub(crate) fn three_byte(b0: u8, b1: u8, b2: u8) -> Option<Code> {
    let ff = b0 == 0xEF;
    // Non-short-circuit `&`/`|` on purpose: one well-predicted branch for both blocks.
    #[allow(clippy::needless_bitwise_bool)]
    let fast = (b0 == 0xE3) & (b1 & 0xFC == 0x80) | ff & (b1 & 0xFC == 0xBC);
    let i = (usize::from(ff) << 8) | usize::from(((b1 & 0x03) << 6) | (b2 & 0x3F));
    fast.then(|| BLOCKS.get(i).copied().unwrap_or(INVALID))
}

/// The action for the first character of `rest` (as [`lookup`]) and its length in bytes, or
/// `None` when `rest` is empty. `rest` must be valid UTF-8 (a suffix of a `str` at a character
/// boundary).
///
/// U+3000..=U+30FF (`E3 80..=83 xx`) and U+FF00..=U+FFFF (`EF BC..=BF xx`) are looked up
/// straight from their UTF-8 bytes in one table, choosing the half without a branch; ASCII by
/// byte; everything else is decoded first.
// Always inlined: it is the body of the hot loops of `fold` and `equivalent`.
#[allow(clippy::inline_always)]
#[inline(always)]
pub(crate) fn step(rest: &[u8]) -> Option<(Code, usize)> {
    if let [b0, b1, b2, ..] = *rest
        && let Some(code) = three_byte(b0, b1, b2)
    {
        return Some((code, 3));
    }
    match *rest {
        [] => None,
        [b, ..] if b < 0x80 => Some((ascii(b), 1)),
        _ => Some(decode(rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_output_is_large_plain_katakana_or_choon() {
        let allowed: Vec<char> = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンー"
            .chars()
            .collect();
        for &c in KANA.iter().chain(HALF.iter()).chain(SMALL_EXT.iter()) {
            assert!(
                c <= KOTO || allowed.contains(&key_char(c)),
                "unexpected output {c:?}"
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
    }

    #[test]
    fn outputs_are_three_bytes_of_utf8() {
        for &c in KANA.iter().chain(HALF.iter()).chain(SMALL_EXT.iter()) {
            assert!(c <= KOTO || c >= FIRST_KEY, "{c:?}");
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
