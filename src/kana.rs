//! Kana folding: one canonical key for every accepted spelling of a kana name.
//!
//! The member may type the insured person's name in hiragana or katakana, full- or half-width,
//! with or without a space between surname and given name, and voiced (゛), semi-voiced (゜)
//! and small kana count the same as the plain large kana. [`fold`] turns any such spelling into
//! one key — full-width katakana with no separators, no voicing marks and no small kana — and
//! two names match when their keys are equal:
//!
//! ```
//! use kenpo_auth::kana;
//!
//! assert_eq!(kana::fold("ケンポ ショウコ").unwrap(), "ケンホシヨウコ");
//! assert!(kana::equivalent("ケンポ ショウコ", "ｹﾝﾎﾟ　しようこ"));
//! assert!(!kana::equivalent("サトー", "サトウ")); // ー is never a vowel
//! ```
//!
//! The rules, in order of meaning (the implementation is one pass over the input, reading
//! compile-time lookup tables):
//!
//! - **Width and script.** Hiragana and half-width katakana become full-width katakana;
//!   `ゟ` becomes `ヨリ` and `ヿ` becomes `コト`.
//! - **Voicing.** Voiced and semi-voiced kana become plain (`ガ`→`カ`, `パ`→`ハ`, `ヴ`→`ウ`,
//!   `ヷヸヹヺ`→`ワイエオ`); the voicing marks U+3099, U+309A (combining), U+309B, U+309C
//!   (spacing `゛゜`) and U+FF9E, U+FF9F (half-width `ﾞﾟ`) are dropped wherever they stand.
//! - **Small kana** become large: `ァィゥェォヵヶッャュョヮ`, their hiragana twins, the
//!   Katakana Phonetic Extensions U+31F0–U+31FF (`ㇰ`→`ク` … `ㇿ`→`ロ`) and the Small Kana
//!   Extension (U+1B132, U+1B150–U+1B152, U+1B155, U+1B164–U+1B167).
//! - **Old kana**: `ヰ`→`イ`, `ヱ`→`エ`, `ヲ`→`オ` (and `ゐゑを`).
//! - **Iteration marks** `ヽゝヾゞ` repeat the previous character of the key; with nothing
//!   before them they are an error ([`NameError::IterationMarkAtStart`]).
//! - **Prolonged sound.** `ー` stays `ー`, and so do its look-alikes typed by mistake:
//!   `-` `‐` `‑` `‒` `–` `—` `―` `−` `－` `ｰ` `〜` `～`. `ー` is never equated with a vowel.
//! - **Separators are ignored**: space, tab, ideographic space U+3000, no-break spaces
//!   (U+00A0, U+202F), zero-width space U+200B, word joiner U+2060, U+FEFF, and the name
//!   separators `・` `･` `＝` `=` `゠`.
//! - **Anything else** (kanji, Latin letters, digits, emoji, control characters, kana
//!   punctuation such as `｡`) is an error naming the character and its position.
//!
//! A name is limited to [`MAX_NAME_CHARS`] characters of its folded key (separators and voicing
//! marks do not count, so every spelling of a name has the same length and
//! `fold(fold(x)) == fold(x)` always holds), and the input to [`MAX_INPUT_CHARS`] characters.
//! Positions in errors are 1-based character positions in the input, the way a member would
//! count them.

use crate::ja::{MessageJa, show_char};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

mod table;

use table::{Code, FIRST_KEY, Piece, key_char};

/// The longest accepted name, in characters of its folded key (kana and `ー`; separators and
/// voicing marks do not count).
pub const MAX_NAME_CHARS: usize = 100;

/// Why a string is not an acceptable kana name.
///
/// [`Display`](fmt::Display) is English, for logs; [`MessageJa::message_ja`] is Japanese, for
/// the member.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty, or holds only separators and voicing marks.
    #[error("the kana name is empty")]
    Empty,
    /// The folded name has more than [`MAX_NAME_CHARS`] characters, or the input more than
    /// [`MAX_INPUT_CHARS`].
    #[error("the kana name is longer than {max} characters")]
    TooLong {
        /// The limit, [`MAX_NAME_CHARS`].
        max: usize,
    },
    /// A character that is neither kana nor an accepted separator or mark.
    #[error("character {} at position {position} is not allowed in a kana name", describe(*.ch))]
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its 1-based character position in the input.
        position: usize,
    },
    /// An iteration mark (`ゝゞヽヾ`) with no kana before it.
    #[error("the kana name starts with an iteration mark")]
    IterationMarkAtStart,
}

/// `'x' (U+0078)`, for log messages.
fn describe(ch: char) -> String {
    format!("{ch:?} (U+{:04X})", u32::from(ch))
}

/// A Japanese message for the member, one sentence ending in 「。」.
///
/// ```
/// use kenpo_auth::MessageJa;
/// use kenpo_auth::kana::fold;
///
/// let err = fold("山田タロウ").unwrap_err();
/// assert_eq!(
///     err.message_ja(),
///     "氏名はカタカナまたはひらがなで入力してください（1文字目の「山」は使用できません）。"
/// );
/// ```
impl MessageJa for NameError {
    fn message_ja(&self) -> String {
        match self {
            Self::Empty => "氏名（カナ）を入力してください。".to_owned(),
            Self::TooLong { max, .. } => format!("氏名（カナ）は{max}文字以内で入力してください。"),
            Self::InvalidChar { ch, position } => format!(
                "氏名はカタカナまたはひらがなで入力してください（{position}文字目の「{}」は使用できません）。",
                show_char(*ch)
            ),
            Self::IterationMarkAtStart => {
                "氏名の先頭に繰り返し記号（ゝ・ヽなど）は使用できません。".to_owned()
            }
        }
    }
}

/// The longest accepted input, in characters as typed: room for a name of
/// [`MAX_NAME_CHARS`] kana written with separate voicing marks and separators, and a bound on
/// the work done for hostile input.
pub const MAX_INPUT_CHARS: usize = 4 * MAX_NAME_CHARS;

/// Fails with [`NameError::TooLong`] when `input` has more than [`MAX_INPUT_CHARS`] characters.
#[allow(clippy::inline_always)]
#[inline(always)]
fn check_input_length(input: &str) -> Result<(), NameError> {
    // A character is at least one byte, so short inputs need no counting.
    if input.len() <= MAX_INPUT_CHARS || input.chars().nth(MAX_INPUT_CHARS).is_none() {
        Ok(())
    } else {
        Err(TOO_LONG)
    }
}

const TOO_LONG: NameError = NameError::TooLong {
    max: MAX_NAME_CHARS,
};

// The three walks over a name, each reading the grammar of `table`: `fold` collects the whole
// key, `equivalent` streams two keys side by side through `Folder`, and `first_error` reads a
// bad name again to say where it went wrong. None of them classifies a character itself: a
// character's code comes from `table` and its meaning from `table::piece`.

/// Folds a kana name to its canonical key (see the [module docs](self) for the rules).
///
/// # Errors
///
/// [`NameError::TooLong`] for an input over [`MAX_INPUT_CHARS`] characters (checked first);
/// then the first [`NameError::InvalidChar`] or [`NameError::IterationMarkAtStart`] in reading
/// order; then [`NameError::TooLong`] for a key over [`MAX_NAME_CHARS`] characters; then
/// [`NameError::Empty`] when nothing but separators and marks is left.
///
/// ```
/// use kenpo_auth::kana::{fold, NameError};
///
/// assert_eq!(fold("がっこう").unwrap(), "カツコウ");
/// assert_eq!(fold("ｶﾞｯｺｰ").unwrap(), "カツコー");
/// assert_eq!(fold(" ・ "), Err(NameError::Empty));
/// assert_eq!(fold("ヤマダ1"), Err(NameError::InvalidChar { ch: '1', position: 4 }));
/// ```
pub fn fold(input: &str) -> Result<String, NameError> {
    check_input_length(input)?;
    // Allocated before the walk, which does not need it, so that the allocator's work and the
    // walk's can overlap.
    let out = String::with_capacity(3 * SHORT_KEY);
    let mut codes = KeyCodes::new();
    let bytes = input.as_bytes();
    // Bytes of the input read so far: always at a character boundary.
    let mut done = 0;
    loop {
        // Fast loop: kana, voicing marks and most separators are three bytes of UTF-8 each,
        // so walk the input by three-byte chunks while that holds. No lengths to decode, no
        // slicing, and no branch on whether a chunk is a key character or a skipped mark (a
        // branch that the voicing marks of NFD and half-width spellings would mispredict):
        // `fast_lookup` hands back only codes that add themselves or nothing, so every chunk's
        // code is stored and only a key character advances the count.
        // A chunk that is not such a character (ASCII, another length, or bytes starting
        // mid-character after one) or that means more than itself or nothing (`ゝ`, `ゟ`, an
        // error) ends the loop; everything before that chunk is whole characters.
        for chunk in bytes.get(done..).unwrap_or_default().chunks_exact(3) {
            let &[b0, b1, b2] = chunk else { break };
            let Some(code) = table::fast_lookup(b0, b1, b2) else {
                break;
            };
            codes.store(code);
            done += 3;
        }
        // Then one character the general way, and back to the fast loop.
        let Some((code, len)) = table::step(bytes.get(done..).unwrap_or_default()) else {
            break;
        };
        done += len;
        match table::piece(code, codes.last()) {
            Piece::Nothing => {}
            Piece::One(code) => codes.store(code),
            Piece::Two(first, second) => codes.push_pair(first, second),
            Piece::Invalid | Piece::IterationAtStart => return Err(first_error(input)),
        }
    }
    codes.write_key(out)
}

/// The codes of a folded key as [`fold`] collects them: a fixed buffer on the stack, filled
/// without branches, then written into the one `String` that `fold` returns.
struct KeyCodes {
    /// The codes of the key; slot `i % KEY_BUFFER` holds character `i`. A key that wraps
    /// around is over [`MAX_NAME_CHARS`] and is refused, so wrapping loses nothing.
    buffer: [Code; KEY_BUFFER],
    /// Characters of the key so far (may exceed the buffer, see above).
    len: usize,
}

/// Slots in [`KeyCodes`]: a power of two above [`MAX_NAME_CHARS`], so that `% KEY_BUFFER` is
/// a mask and the compiler sees every index is in bounds.
const KEY_BUFFER: usize = 128;
const _: () = assert!(KEY_BUFFER > MAX_NAME_CHARS && KEY_BUFFER.is_power_of_two());

/// Keys of up to this many characters (nearly every name) are written with no branches and
/// no capacity checks; see [`KeyCodes::write_key`].
const SHORT_KEY: usize = 12;
const _: () = assert!(SHORT_KEY <= KEY_BUFFER);

impl KeyCodes {
    fn new() -> Self {
        KeyCodes {
            buffer: [0; KEY_BUFFER],
            len: 0,
        }
    }

    /// Stores a code; it becomes part of the key only when it is a key character
    /// ([`FIRST_KEY`] or above): a skipped character's code is written in the next free slot
    /// and overwritten by the next key character. No branch either way.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn store(&mut self, code: Code) {
        if let Some(slot) = self.buffer.get_mut(self.len % KEY_BUFFER) {
            *slot = code;
        }
        self.len += usize::from(code >= FIRST_KEY);
    }

    /// Appends two key characters (`ゟ` → `ヨリ`, `ヿ` → `コト`).
    fn push_pair(&mut self, first: Code, second: Code) {
        self.store(first);
        self.store(second);
    }

    /// The last key character, repeated by an iteration mark.
    fn last(&self) -> Option<Code> {
        let i = self.len.checked_sub(1)?;
        self.buffer.get(i % KEY_BUFFER).copied()
    }

    /// Writes the key into `key` (empty, with room for [`SHORT_KEY`] characters) and returns
    /// it, or returns the length error.
    ///
    /// A key of at most [`SHORT_KEY`] characters is written as exactly [`SHORT_KEY`] pushes:
    /// with the count and the capacity both known, the compiler drops every capacity check and
    /// the loop, leaving straight-line stores. The string is then cut back to the key. The
    /// characters pushed past the key are stale codes or zeros; as key characters they are
    /// still valid three-byte UTF-8, so the cut falls on a character boundary.
    fn write_key(&self, mut key: String) -> Result<String, NameError> {
        match self.len {
            0 => Err(NameError::Empty),
            n if n > MAX_NAME_CHARS => Err(TOO_LONG),
            n if n <= SHORT_KEY => {
                for &code in self.buffer.iter().take(SHORT_KEY) {
                    key.push(key_char(code));
                }
                key.truncate(3 * n);
                Ok(key)
            }
            n => {
                let codes = self.buffer.get(..n).unwrap_or_default();
                key.reserve_exact(3 * n);
                key.extend(codes.iter().map(|&code| key_char(code)));
                Ok(key)
            }
        }
    }
}

/// Whether two names fold to the same key, without allocating.
///
/// Equal to `fold(a) == fold(b)` when both are valid; `false` when either is not.
///
/// ```
/// use kenpo_auth::kana::equivalent;
///
/// assert!(equivalent("ケンポ ショウコ", "けんほ しようこ"));
/// assert!(!equivalent("", ""));
/// ```
#[must_use]
pub fn equivalent(a: &str, b: &str) -> bool {
    if check_input_length(a).is_err() || check_input_length(b).is_err() {
        return false;
    }
    let mut a = Folder::new(a);
    let mut b = Folder::new(b);
    let mut count = 0;
    loop {
        let x = a.next();
        if x != b.next() || x == ERROR {
            return false;
        }
        if x == END {
            return count > 0;
        }
        count += 1;
        if count > MAX_NAME_CHARS {
            return false;
        }
    }
}

/// What [`Folder::next`] returns besides key codes (which are all [`FIRST_KEY`] or above).
const END: Code = 0x10;
/// The stream met an invalid character or a leading iteration mark; see [`first_error`].
const ERROR: Code = 0x11;

/// Streams the folded key of a name, one character at a time, without allocating.
///
/// [`Folder::next`] returns the [`Code`] of a key character, [`END`] or [`ERROR`] (then the
/// stream is over); the hot loop carries no positions or error values, [`first_error`]
/// recomputes them. It does not check the length or emptiness of the name; [`equivalent`]
/// does.
struct Folder<'a> {
    /// The input still to read: valid UTF-8, at a character boundary.
    rest: &'a [u8],
    /// The last key character output, which an iteration mark repeats.
    last: Option<Code>,
    /// The second character of `ゟ` or `ヿ`, still to be output.
    pending: Option<Code>,
}

impl<'a> Folder<'a> {
    fn new(input: &'a str) -> Self {
        Folder {
            rest: input.as_bytes(),
            last: None,
            pending: None,
        }
    }

    // Always inlined: it is the body of `equivalent`'s loop, where plain `#[inline]` leaves a
    // call.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn next(&mut self) -> Code {
        if let Some(code) = self.pending.take() {
            return code;
        }
        loop {
            // Kana, voicing marks and most separators (nearly all of a name) are read by
            // `fast_lookup` alone, on a path of their own that skips `step`'s length decoding
            // and checks; both paths then read the character's meaning through `add`.
            if let [b0, b1, b2, ..] = *self.rest {
                if let Some(code) = table::fast_lookup(b0, b1, b2) {
                    self.rest = self.rest.get(3..).unwrap_or_default();
                    if let Some(out) = self.add(code) {
                        return out;
                    }
                    continue;
                }
            }
            let Some((code, len)) = table::step(self.rest) else {
                return END;
            };
            self.rest = self.rest.get(len..).unwrap_or_default();
            if let Some(out) = self.add(code) {
                return out;
            }
        }
    }

    /// Reads what the character of code `code` adds to the key: the code to output now, or
    /// `None` when it adds nothing.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn add(&mut self, code: Code) -> Option<Code> {
        match table::piece(code, self.last) {
            Piece::Nothing => None,
            Piece::One(code) => {
                self.last = Some(code);
                Some(code)
            }
            Piece::Two(first, second) => {
                self.pending = Some(second);
                self.last = Some(second);
                Some(first)
            }
            Piece::Invalid | Piece::IterationAtStart => {
                self.rest = &[];
                Some(ERROR)
            }
        }
    }
}

/// The first error in `input`, with its 1-based position: the hot walks stop at an error
/// without knowing where they are, so this one reads the name again, by the same grammar,
/// counting characters. Run only for bad input.
#[cold]
fn first_error(input: &str) -> NameError {
    let mut last = None;
    for (i, ch) in input.chars().enumerate() {
        match table::piece(table::lookup(ch), last) {
            Piece::Nothing => {}
            Piece::One(code) | Piece::Two(_, code) => last = Some(code),
            Piece::Invalid => {
                return NameError::InvalidChar {
                    ch,
                    position: i + 1,
                };
            }
            Piece::IterationAtStart => return NameError::IterationMarkAtStart,
        }
    }
    // Unreachable when called after a walk stopped at an error.
    NameError::Empty
}

/// A validated kana name: the original spelling and its folded key.
///
/// Equality and hashing use the folded key, so `KanaName`s that [`equivalent`] would match are
/// equal; [`Display`](fmt::Display) shows the original. With serde, a `KanaName` is its original
/// string and is validated again when deserialized.
///
/// ```
/// use kenpo_auth::kana::KanaName;
///
/// let a = KanaName::parse("ケンポ ショウコ").unwrap();
/// let b = KanaName::parse("けんほしようこ").unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.folded(), "ケンホシヨウコ");
/// assert_eq!(a.to_string(), "ケンポ ショウコ");
/// ```
#[derive(Clone, Debug)]
pub struct KanaName {
    original: String,
    folded: String,
}

impl KanaName {
    /// Validates and folds a name.
    ///
    /// # Errors
    ///
    /// The same as [`fold`].
    pub fn parse(input: &str) -> Result<KanaName, NameError> {
        let folded = fold(input)?;
        Ok(KanaName {
            original: input.to_owned(),
            folded,
        })
    }

    /// The canonical key (see [`fold`]).
    #[must_use]
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// The name as typed.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.original
    }
}

impl PartialEq for KanaName {
    fn eq(&self, other: &Self) -> bool {
        self.folded == other.folded
    }
}

impl Eq for KanaName {}

impl Hash for KanaName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.folded.hash(state);
    }
}

impl fmt::Display for KanaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl AsRef<str> for KanaName {
    fn as_ref(&self) -> &str {
        &self.original
    }
}

impl FromStr for KanaName {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KanaName::parse(s)
    }
}

impl TryFrom<&str> for KanaName {
    type Error = NameError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        KanaName::parse(s)
    }
}

impl serde::Serialize for KanaName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.original)
    }
}

impl<'de> serde::Deserialize<'de> for KanaName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        KanaName::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::table::{INVALID, ITERATE, KOTO, SKIP, YORI};
    use super::*;

    fn f(s: &str) -> String {
        fold(s).unwrap()
    }

    /// The key by `Folder`, one character at a time, with the length rules of `fold`.
    fn by_folder(s: &str) -> Result<String, NameError> {
        check_input_length(s)?;
        let mut folder = Folder::new(s);
        let mut key = String::new();
        loop {
            match folder.next() {
                END => {
                    return match key.chars().count() {
                        0 => Err(NameError::Empty),
                        n if n > MAX_NAME_CHARS => Err(TOO_LONG),
                        _ => Ok(key),
                    };
                }
                ERROR => return Err(first_error(s)),
                code => key.push(key_char(code)),
            }
        }
    }

    /// The key by the specification alone: `lookup`, one character at a time, the meaning of
    /// its sentinels written out again (not through `piece`), and the length rules in the
    /// documented order. Shares no code with the walks but `lookup`.
    fn by_lookup(s: &str) -> Result<String, NameError> {
        if s.chars().count() > MAX_INPUT_CHARS {
            return Err(TOO_LONG);
        }
        let mut key: Vec<char> = Vec::new();
        for (i, ch) in s.chars().enumerate() {
            match table::lookup(ch) {
                SKIP => {}
                ITERATE => match key.last() {
                    Some(&last) => key.push(last),
                    None => return Err(NameError::IterationMarkAtStart),
                },
                YORI => key.extend(['ヨ', 'リ']),
                KOTO => key.extend(['コ', 'ト']),
                INVALID => {
                    return Err(NameError::InvalidChar {
                        ch,
                        position: i + 1,
                    });
                }
                code => key.push(key_char(code)),
            }
        }
        match key.len() {
            0 => Err(NameError::Empty),
            n if n > MAX_NAME_CHARS => Err(TOO_LONG),
            _ => Ok(key.into_iter().collect()),
        }
    }

    /// Characters that fold (to a key character, to nothing, or by repeating one), of every
    /// kind the walks treat differently.
    const FOLDING: &[char] = &[
        'ア',
        'カ',
        'ン',
        'ー',
        'が',
        'ｶ',
        'ﾞ',
        'ﾟ',
        '\u{3099}',
        '゛',
        'ッ',
        'ぁ',
        'ㇰ',
        'ヰ',
        'ゝ',
        'ヾ',
        'ゟ',
        'ヿ',
        ' ',
        '　',
        '・',
        '=',
        '-',
        '\t',
        '\u{2060}',
        '\u{200B}',
        '\u{FEFF}',
        '\u{A0}',
        '\u{1B132}',
    ];

    /// Characters that are errors.
    const REFUSED: &[char] = &['1', 'a', '山', '😀', '、', '｡'];

    proptest::proptest! {
        #[test]
        fn fold_and_folder_agree_with_the_specification(
            // Half the cases are name-sized, half long enough to pass SHORT_KEY, KEY_BUFFER
            // and the length limit.
            picks in proptest::prop_oneof![
                proptest::collection::vec((0..FOLDING.len(), 0..REFUSED.len(), 0..40_usize), 0..20),
                proptest::collection::vec((0..FOLDING.len(), 0..REFUSED.len(), 0..40_usize), 0..160),
            ],
            with_errors in proptest::bool::ANY,
        ) {
            // Half the cases have no error characters, so that long keys (past SHORT_KEY and
            // KEY_BUFFER) are common and errors do not end every case early.
            let s: String = picks
                .iter()
                .map(|&(f, r, roll)| if with_errors && roll == 0 { REFUSED[r] } else { FOLDING[f] })
                .collect();
            let expected = by_lookup(&s);
            proptest::prop_assert_eq!(&fold(&s), &expected, "{:?}", s);
            proptest::prop_assert_eq!(&by_folder(&s), &expected, "{:?}", s);
        }
    }

    #[test]
    fn keys_around_the_short_buffer_and_limit_sizes() {
        for n in [
            1,
            SHORT_KEY - 1,
            SHORT_KEY,
            SHORT_KEY + 1,
            KEY_BUFFER,
            KEY_BUFFER + 1,
            MAX_NAME_CHARS,
            MAX_NAME_CHARS + 1,
        ] {
            for unit in ["ア", "ｶﾞ", "カ\u{3099}", "ア ", "ゟ", "アゝ"] {
                let s = unit.repeat(n);
                assert_eq!(fold(&s), by_lookup(&s), "{n} × {unit:?}");
            }
        }
        // Marks after the last key character leave stale codes past the key; they are cut.
        let s = format!("{}゛゛", "ア".repeat(SHORT_KEY - 1));
        assert_eq!(fold(&s).unwrap(), "ア".repeat(SHORT_KEY - 1));
        // Past the limit the count goes on, and errors keep their reading order.
        let s = format!("{}1", "ア".repeat(MAX_NAME_CHARS + 2));
        assert_eq!(
            fold(&s),
            Err(NameError::InvalidChar {
                ch: '1',
                position: MAX_NAME_CHARS + 3
            })
        );
        let s = format!("{}ゝ", "ア".repeat(MAX_NAME_CHARS + 2));
        assert_eq!(fold(&s), Err(TOO_LONG));
        // Also once the code buffer has wrapped around.
        let s = format!("{}1", "ア".repeat(KEY_BUFFER + 2));
        assert_eq!(
            fold(&s),
            Err(NameError::InvalidChar {
                ch: '1',
                position: KEY_BUFFER + 3
            })
        );
        // An iteration mark at the very end of the longest key repeats the right character.
        let s = format!("{}カゝ", "ア".repeat(MAX_NAME_CHARS - 2));
        assert_eq!(
            fold(&s).unwrap(),
            format!("{}カカ", "ア".repeat(MAX_NAME_CHARS - 2))
        );
    }

    #[test]
    fn fast_chunks_resume_after_every_kind_of_character() {
        for s in [
            "ア bイ",
            "ア-イウ",
            "アéイウ",
            "アéイ",
            "ア\u{1B132}イウ",
            "アイ ゝ",
            "ア ゟゝカ",
            "アヿゝ",
            "ｱ ｲ\u{3099}ウ",
            "ア=ア",
            "ア a",
            "アイ\u{1F600}",
            "ア\tイ\u{200B}ウ",
            " ゝ",
            "ゝア",
            "アイウエオカ",
            "アイウエオ ",
            "abc",
        ] {
            assert_eq!(fold(s), by_folder(s), "{s:?}");
        }
    }

    #[test]
    fn manual_example() {
        assert_eq!(f("ケンポ ショウコ"), f("ケンホ シヨウコ"));
        assert_eq!(f("ケンポ ショウコ"), "ケンホシヨウコ");
    }

    #[test]
    fn width_and_script() {
        assert_eq!(f("やまだ"), "ヤマタ");
        assert_eq!(f("ﾔﾏﾀﾞ"), "ヤマタ");
        assert_eq!(f("ｦﾝ"), "オン");
        assert_eq!(f("ゟ"), "ヨリ");
        assert_eq!(f("ヿ"), "コト");
    }

    #[test]
    fn voicing_in_all_four_encodings() {
        for s in [
            "ガパ",
            "カ\u{3099}ハ\u{309A}",
            "カ゛ハ゜",
            "ｶﾞﾊﾟ",
            "が\u{3099}ぱ",
            "゛カハ゜",
        ] {
            assert_eq!(f(s), "カハ", "{s}");
        }
        assert_eq!(f("ヴヷヸヹヺ"), "ウワイエオ");
        assert_eq!(f("ゔ"), "ウ");
    }

    #[test]
    fn small_kana() {
        assert_eq!(f("ァィゥェォヵヶッャュョヮ"), "アイウエオカケツヤユヨワ");
        assert_eq!(f("ぁぃぅぇぉゕゖっゃゅょゎ"), "アイウエオカケツヤユヨワ");
        assert_eq!(
            f("ㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"),
            "クシストヌハヒフヘホムラリルレロ"
        );
        assert_eq!(f("ｧｨｩｪｫｬｭｮｯ"), "アイウエオヤユヨツ");
        assert_eq!(
            f("\u{1B132}\u{1B155}\u{1B150}\u{1B164}\u{1B151}\u{1B165}\u{1B152}\u{1B166}\u{1B167}"),
            "ココイイエエオオン"
        );
    }

    #[test]
    fn old_kana() {
        assert_eq!(f("ヰヱヲゐゑを"), "イエオイエオ");
    }

    #[test]
    fn iteration_marks() {
        assert_eq!(f("いすゞ"), "イスス");
        assert_eq!(f("サヽキ"), "ササキ");
        assert_eq!(f("ささき"), f("さゝき"));
        assert_eq!(fold("ヾ").err(), Some(NameError::IterationMarkAtStart));
        assert_eq!(fold(" ゝカ").err(), Some(NameError::IterationMarkAtStart));
        assert_eq!(f("ゟゝ"), "ヨリリ");
        assert_eq!(f("カゝゝ"), "カカカ");
    }

    #[test]
    fn prolonged_sound_and_look_alikes() {
        for dash in [
            '-', '‐', '‑', '‒', '–', '—', '―', '−', '－', 'ｰ', '〜', '～', 'ー',
        ] {
            assert_eq!(f(&format!("サト{dash}")), "サトー", "{dash:?}");
        }
        assert_ne!(f("サトー"), f("サトウ"));
        assert_ne!(f("サトー"), f("サトオ"));
        assert_ne!(f("サトウ"), f("サトオ"));
    }

    #[test]
    fn separators() {
        for sep in [
            " ", "　", "\t", "\u{A0}", "\u{202F}", "\u{200B}", "\u{2060}", "\u{FEFF}", "・", "･",
            "＝", "=", "゠",
        ] {
            assert_eq!(
                f(&format!("{sep}ヤマ{sep}{sep}ダ{sep}")),
                "ヤマタ",
                "{sep:?}"
            );
        }
    }

    #[test]
    fn errors_name_the_character_and_1_based_position() {
        assert_eq!(fold(""), Err(NameError::Empty));
        assert_eq!(fold("　 ゛"), Err(NameError::Empty));
        assert_eq!(
            fold("ヤマ田"),
            Err(NameError::InvalidChar {
                ch: '田',
                position: 3
            })
        );
        for (s, ch) in [
            ("ヤマa", 'a'),
            ("ヤマ1", '1'),
            ("ヤマ😀", '😀'),
            ("ヤマ\n", '\n'),
            ("ヤマ\u{3040}", '\u{3040}'),
            ("ヤマ｡", '｡'),
            ("ヤマ㋐", '㋐'),
        ] {
            assert_eq!(
                fold(s),
                Err(NameError::InvalidChar { ch, position: 3 }),
                "{s:?}"
            );
        }
    }

    #[test]
    fn length_limit_counts_key_characters() {
        let ok = "ア".repeat(MAX_NAME_CHARS);
        assert!(fold(&ok).is_ok());
        assert!(equivalent(&ok, &ok));
        let long = "ア".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(fold(&long), Err(NameError::TooLong { max: 100 }));
        assert!(!equivalent(&long, &long));
        // Separate voicing marks and separators do not count ...
        let half = "ｶﾞ ".repeat(MAX_NAME_CHARS);
        assert_eq!(fold(&half).unwrap(), "カ".repeat(MAX_NAME_CHARS));
        assert!(equivalent(&half, &ok.replace('ア', "が")));
        // ... ゟ counts twice, so the key of a valid name is always valid ...
        let yori = "ゟ".repeat(MAX_NAME_CHARS / 2 + 1);
        assert_eq!(fold(&yori), Err(NameError::TooLong { max: 100 }));
        // ... and the input itself is bounded.
        let padded = format!("ア{}", " ".repeat(MAX_INPUT_CHARS));
        assert_eq!(fold(&padded), Err(NameError::TooLong { max: 100 }));
        assert!(!equivalent(&padded, "ア"));
        let at_cap = format!("ア{}", " ".repeat(MAX_INPUT_CHARS - 1));
        assert!(equivalent(&at_cap, "ア"));
    }

    #[test]
    fn equivalent_rejects_invalid_and_empty() {
        assert!(equivalent("ア", "あ"));
        assert!(!equivalent("", ""));
        assert!(!equivalent(" ", " "));
        assert!(!equivalent("ア1", "ア1"));
        assert!(!equivalent("ア", "アイ"));
        assert!(!equivalent("アイ", "ア"));
        assert!(!equivalent("ゝ", "ゝ"));
    }

    #[test]
    fn messages() {
        assert_eq!(
            NameError::Empty.message_ja(),
            "氏名（カナ）を入力してください。"
        );
        assert_eq!(
            NameError::TooLong { max: 100 }.message_ja(),
            "氏名（カナ）は100文字以内で入力してください。"
        );
        assert_eq!(
            NameError::InvalidChar {
                ch: '\t',
                position: 2
            }
            .message_ja(),
            "氏名はカタカナまたはひらがなで入力してください（2文字目の「U+0009」は使用できません）。"
        );
        assert!(
            NameError::IterationMarkAtStart
                .message_ja()
                .contains("繰り返し記号")
        );
        assert_eq!(
            NameError::InvalidChar {
                ch: 'a',
                position: 2
            }
            .to_string(),
            "character 'a' (U+0061) at position 2 is not allowed in a kana name"
        );
    }
}
