//! The bundled list of common passwords and the lookup that sees through dressing-up.
//!
//! The list is `src/password/data/common-passwords.txt`, built by `src/password/data/build-common-passwords.sh`
//! from Django 5.2.19's `django/contrib/auth/common-passwords.txt.gz` (BSD-3-Clause, licence in
//! `src/password/data/LICENSE-django`): lower-cased, deduplicated and sorted in byte order, every entry
//! kept — 19,640 of them, short and all-digit ones (`abc123`, `123qwe`, `123456`) included.
//!
//! # The lookup
//!
//! People pass composition rules by dressing a common password up: a capital, `!1`, `1!` or
//! `@123` at the end, a `!` in front, letters swapped for look-alike digits and symbols. So the
//! password is lower-cased and every way of cutting a leading run and a trailing run of
//! non-letters (digits, symbols) off it — cutting nothing, part of a run or all of it — gives a
//! candidate, and a candidate counts when some *reading* of it is on the list, where each
//! character may be read as typed or as what it commonly stands for:
//!
//! - leet: `@`/`4`→a, `0`→o, `1`→i or l, `3`→e, `5`→s, `7`→t, `!`→i, `$`→s;
//! - shifted-keyboard look-alikes: `!@#$%^&*()` → `1234567890` (`!Q@W#E$R` is `1q2w3e4r`
//!   typed with the shift key held down).
//!
//! Each character is read independently, so `Tru5tn01` is `trustno1` (the `5` and `0` read as
//! letters, the `1` as typed) and `@dmin123!` is `admin123`. Two limits keep this from calling
//! everything common:
//!
//! - a candidate that was cut must keep at least [`MIN_TRIMMED_CHARS`] characters, because the
//!   list holds every single letter and digit and nearly every two-digit number: without it any
//!   password with a letter between digits would be "common";
//! - when the password has no letter at all its leading and trailing runs are the whole
//!   password, and at most the length of the longest entry is cut from either end.
//!
//! One rule goes beyond the list: a cut candidate of at least [`MIN_PREFIX_LETTERS`] letters
//! (after reading) that *begins* an entry counts too (`Liverpoo!1`, `Alexande@123`), because
//! many leaked lists were truncated at eight characters and people type what they remember of
//! them. Its cost was measured against the 63,875 lower-case words of Debian's `wamerican`
//! word list, each capitalised with `#7` appended: it refuses 82 more of them (0.13 %; words such
//! as `Compute#7` and `Chamber#7`, themselves weak), and none of 10,000 random 12-character
//! passwords (`tests/password_corpus.rs`).
//!
//! # Cost
//!
//! The search walks the sorted list itself: each character read narrows the range of entries
//! that share the prefix read so far (two binary searches), and a reading whose range is empty
//! is abandoned at once. So a search visits only prefixes that exist on the list and never goes
//! deeper than the longest entry; it starts only from cuts that can reach the trailing cut
//! within the longest entry (and within the longest ASCII run any entry begins with, 21 bytes);
//! and it stops after [`STEP_BUDGET`] narrowings whatever the input. Its cost is therefore
//! bounded by a constant independent of the password, well under a millisecond
//! (`benches/credentials.rs` measures it beside a short password's). A search that runs out of
//! steps answers "not common", but none is known to: the worst shapes found, runs of `1`s on
//! both sides of one letter, take about 2,400 narrowings at any length (a test keeps them under
//! a third of the budget), and ordinary passwords a few dozen.

use std::iter;
use std::sync::LazyLock;

use zeroize::Zeroizing;

/// The processed list, one entry a line, sorted in byte order.
const RAW: &str = include_str!("data/common-passwords.txt");

/// A candidate that was cut keeps at least this many characters (see the module docs).
pub(crate) const MIN_TRIMMED_CHARS: usize = 4;

/// A cut candidate of at least this many letters that begins an entry counts as common.
pub(crate) const MIN_PREFIX_LETTERS: usize = 7;

/// Most range narrowings one password may cost (see the module docs).
pub(crate) const STEP_BUDGET: usize = 8_192;

/// The entries, split once on first use, and two lengths in bytes that bound the search.
struct List {
    entries: Vec<&'static str>,
    /// The longest entry (66 bytes: 33 Cyrillic letters).
    longest: usize,
    /// The longest run of ASCII any entry begins with (21 bytes). Every reading of an ASCII
    /// character is one ASCII byte, so a candidate that begins with more ASCII than this
    /// matches nothing; this cuts the places a search of an ASCII password starts from by
    /// two thirds.
    longest_ascii_start: usize,
}

static LIST: LazyLock<List> = LazyLock::new(|| {
    let entries: Vec<&'static str> = RAW.lines().collect();
    let longest = entries.iter().map(|entry| entry.len()).max().unwrap_or(0);
    let longest_ascii_start = entries
        .iter()
        .map(|entry| ascii_run(entry.as_bytes()))
        .max()
        .unwrap_or(0);
    List {
        entries,
        longest,
        longest_ascii_start,
    }
});

/// How many bytes `bytes` begins with that are ASCII.
fn ascii_run(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|byte| !byte.is_ascii())
        .unwrap_or(bytes.len())
}

/// Number of entries in the bundled list.
pub(crate) fn len() -> usize {
    LIST.entries.len()
}

/// Whether `candidate` is on the list as it is (exact, case-sensitive; entries are lower-case).
#[cfg(test)]
fn contains(candidate: &str) -> bool {
    LIST.entries.binary_search(&candidate).is_ok()
}

/// What `c` may stand for besides itself: leet, then the digit under a shifted symbol.
pub(crate) fn look_alikes(c: char) -> &'static str {
    match c {
        '@' => "a2",
        '4' => "a",
        '0' => "o",
        '1' => "il",
        '3' => "e",
        '5' => "s",
        '7' => "t",
        '!' => "i1",
        '$' => "s4",
        '#' => "3",
        '%' => "5",
        '^' => "6",
        '&' => "7",
        '*' => "8",
        '(' => "9",
        ')' => "0",
        _ => "",
    }
}

/// Whether `password` counts as common (see the module docs).
pub(crate) fn is_common(password: &str) -> bool {
    let lower = Zeroizing::new(password.to_lowercase());
    is_common_lower(&lower)
}

/// [`is_common`] for a password already lower-cased.
pub(crate) fn is_common_lower(lower: &str) -> bool {
    search(lower).0
}

/// The answer and the number of narrowings it took (the latter for tests and the bench).
fn search(lower: &str) -> (bool, usize) {
    let list = &*LIST;
    let len = lower.len();
    // Byte lengths of the leading and trailing runs of non-letters that may be cut.
    let (lead, trail) = match (
        lower.find(char::is_alphabetic),
        lower.char_indices().rev().find(|(_, c)| c.is_alphabetic()),
    ) {
        (Some(first), Some((final_letter, c))) => (first, len - (final_letter + c.len_utf8())),
        // No letter: both runs are the whole password; cut at most one longest entry from
        // either end, which keeps the number of starting points constant.
        _ => (len.min(list.longest), len.min(list.longest)),
    };
    let mut walk = Walk {
        entries: &list.entries,
        text: lower,
        start: 0,
        min_end: len - trail,
        steps: 0,
    };
    for (start, _) in lower.char_indices().take_while(|&(i, _)| i <= lead) {
        // A candidate from here must reach `min_end`: skip the starts from which that makes it
        // longer than any entry, or makes it begin with more ASCII than any entry does.
        let reach = walk.min_end.saturating_sub(start);
        if reach > list.longest
            || reach.min(ascii_run(lower.as_bytes().get(start..).unwrap_or_default()))
                > list.longest_ascii_start
        {
            continue;
        }
        walk.start = start;
        if walk.from(start, 0, list.entries.len(), 0, 0, true) {
            return (true, walk.steps);
        }
        if walk.steps >= STEP_BUDGET {
            break;
        }
    }
    (false, walk.steps)
}

/// One search over the list for the candidates of one lower-cased password.
struct Walk<'a> {
    entries: &'a [&'static str],
    text: &'a str,
    /// Where the current candidates start (byte index: a cut of the leading run).
    start: usize,
    /// The earliest byte index a candidate may end at (a cut of the trailing run).
    min_end: usize,
    /// Narrowings so far, against [`STEP_BUDGET`].
    steps: usize,
}

impl Walk<'_> {
    /// Continues from byte `pos` of the text, `chars` characters read since `start`, with
    /// `entries[lo..hi]` the entries that begin with the `depth` bytes read (non-empty).
    /// `letters` says whether every character read so far was read as a letter.
    fn from(
        &mut self,
        pos: usize,
        lo: usize,
        hi: usize,
        depth: usize,
        chars: usize,
        letters: bool,
    ) -> bool {
        if chars > 0 && pos >= self.min_end {
            let cut = self.start > 0 || pos < self.text.len();
            if !cut || chars >= MIN_TRIMMED_CHARS {
                // The range is sorted, so an entry equal to what was read comes first.
                let exact = self
                    .entries
                    .get(lo)
                    .is_some_and(|entry| entry.len() == depth);
                if exact || (cut && letters && chars >= MIN_PREFIX_LETTERS) {
                    return true;
                }
            }
        }
        let Some(c) = self.text.get(pos..).and_then(|rest| rest.chars().next()) else {
            return false;
        };
        let next = pos + c.len_utf8();
        for reading in iter::once(c).chain(look_alikes(c).chars()) {
            let mut buf = [0u8; 4];
            let (mut a, mut b, mut d) = (lo, hi, depth);
            for &byte in reading.encode_utf8(&mut buf).as_bytes() {
                if self.steps >= STEP_BUDGET {
                    return false;
                }
                self.steps += 1;
                (a, b) = narrow(self.entries, a, b, d, byte);
                d += 1;
                if a == b {
                    break;
                }
            }
            if a < b && self.from(next, a, b, d, chars + 1, letters && reading.is_alphabetic()) {
                return true;
            }
        }
        false
    }
}

/// Of `entries[lo..hi]`, which all share their first `depth` bytes, the sub-range whose byte at
/// `depth` is `byte`. Entries no longer than `depth` sort first and are left out.
fn narrow(entries: &[&str], lo: usize, hi: usize, depth: usize, byte: u8) -> (usize, usize) {
    let range = entries.get(lo..hi).unwrap_or_default();
    let at = |entry: &&str| entry.as_bytes().get(depth).copied();
    let first = range.partition_point(|entry| at(entry) < Some(byte));
    let end = range.partition_point(|entry| at(entry) <= Some(byte));
    (lo + first, lo + end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_unique_lower_case_and_whole() {
        assert!(
            LIST.entries.windows(2).all(|w| w[0] < w[1]),
            "sorted and unique"
        );
        for entry in &LIST.entries {
            assert_eq!(*entry, entry.to_ascii_lowercase());
            assert!(!entry.is_empty());
        }
        // Every Django entry, short and all-digit ones included.
        assert_eq!(len(), 19_640);
        for kept in ["abc123", "123qwe", "123456", "1234", "a", "1"] {
            assert!(contains(kept), "{kept}");
        }
        // In bytes: the longest entry is 33 Cyrillic letters; the longest ASCII one has 21.
        assert_eq!(LIST.longest, 66);
        assert_eq!(LIST.longest_ascii_start, 21);
    }

    #[test]
    fn the_issue_examples_are_common() {
        for p in [
            "p@ssw0rd",
            "Password1!",
            "Passw0rd!",
            "qwerty123!",
            "1qaz@wsx",
            "Abc123!1",
            "5h@d0w1!",
            "1qaz2wsx!1",
            "Trustno1!1",
            "@dmin123!",
            "admin123!",
        ] {
            assert!(is_common(p), "{p}");
        }
    }

    #[test]
    fn every_trim_is_looked_up_as_typed() {
        // The core keeps digits that belong to the entry.
        assert!(contains("abc123"));
        assert!(is_common("Abc123@123"));
        assert!(is_common("Abc123!1"));
        assert!(is_common("!123qwe!1"));
        // No letter at all: numeric entries with digits or symbols around them.
        assert!(is_common("!123456!"));
        assert!(is_common("12345678!"));
    }

    #[test]
    fn substitutions_are_undone_before_trimming() {
        assert!(is_common("@dmin123!"));
        assert!(is_common("Tru5tn011!"));
        assert!(is_common("Z@q12w5x1!"));
        assert!(is_common("P@$$w0rd99"));
    }

    #[test]
    fn shifted_keyboard_look_alikes_are_undone() {
        // `!qaz2wsx` and `1qaz@wsx` are Django entries themselves; these are not.
        assert!(contains("1qaz2wsx") && !contains("!qaz@wsx"));
        assert!(is_common("!QAZ@WSX"));
        assert!(contains("1q2w3e4r") && !contains("!q@w#e$r"));
        assert!(is_common("!Q@W#E$R"));
        assert!(is_common("Passw0rd!@#"));
        assert!(!contains("!@#$%^&*"));
        assert!(is_common("!@#$%^&*"));
    }

    #[test]
    fn one_can_be_i_or_l() {
        assert!(contains("killer"));
        assert!(is_common("k1ller!1"));
        assert!(is_common("ki11er#9"));
        assert!(contains("iloveyou"));
        assert!(is_common("I10v3y0u#"));
    }

    #[test]
    fn a_truncated_entry_of_seven_letters_counts_when_cut() {
        assert!(!contains("liverpoo") && contains("liverpool"));
        assert!(is_common("Liverpoo!1"));
        // Six letters are not enough, and the whole password is never taken as a prefix.
        assert!(!contains("liverp") && !is_common("Liverp!1"));
        assert!(!is_common("liverpoo"));
    }

    #[test]
    fn a_cut_keeps_four_characters() {
        // "a", "ab" and "12" are on the list; what is left after cutting is not.
        assert!(contains("a") && contains("12"));
        assert!(!is_common("12#a!99("));
        assert!(!is_common("%9x(2?7#"));
    }

    #[test]
    fn random_looking_passwords_are_not_common() {
        for p in [
            "Xq7#mZ2!pL",
            "tR9(kW4_vB",
            "Hn3&uu8+Qs",
            "Kenpo#2024x",
            "Sakura#2024x",
        ] {
            assert!(!is_common(p), "{p}");
        }
    }

    /// Runs of characters with several readings on both sides of one letter are what make the
    /// search work hardest (every cut is a candidate and many list prefixes match). Over such
    /// shapes, the worst takes about 2,400 narrowings whatever the length, under a third of the
    /// budget; `--nocapture` prints it.
    #[test]
    fn the_cost_is_bounded() {
        let mut worst = (0, String::new());
        for (total, step) in [(20usize, 1), (128, 11), (1_024, 300)] {
            for unit in ["1", "!", "@", "0", "1!", "11i", "@4"] {
                for letter in ["", "o", "t", "i", "я"] {
                    for left in (0..total).step_by(step) {
                        let right = total.saturating_sub(left + letter.len());
                        for tail in ["", "★"] {
                            let text = format!(
                                "{}{letter}{}{tail}",
                                unit.repeat(left).get(..left).unwrap_or_default(),
                                unit.repeat(right).get(..right).unwrap_or_default(),
                            );
                            let (_, steps) = search(&text);
                            if steps > worst.0 {
                                worst = (steps, text);
                            }
                        }
                    }
                }
            }
        }
        println!("worst: {} narrowings for {:?}", worst.0, worst.1);
        assert!(worst.0 < STEP_BUDGET / 3, "{worst:?}");
        // Ordinary passwords take a few dozen steps.
        for text in ["kenpo#2024x", "sakura#2024x", "xq7#mz2!pl"] {
            let (_, steps) = search(text);
            assert!(steps < 100, "{steps}: {text}");
        }
    }
}
