//! The member's language: one trait for every error's Japanese message, and the conventions
//! shared by every message and every parser of Japanese input.
//!
//! - [`MessageJa`] is implemented by every error a member can meet; the portal's
//!   [`Error`](crate::Error) delegates to the error it wraps.
//! - [`show_char`] shows a character in a message: itself when visible, `U+XXXX` otherwise.
//! - [`half_width`] reads full-width ASCII (`０`, `Ａ`, `－`) as what the member meant.
//! - [`wait`] says how long to wait, in minutes, hours or days.
//! - [`SYSTEM_FAILURE`] is the one message for failures that are not the member's.

use std::time::Duration;

/// A message for the member, in Japanese, worded for what they can do about it. Every error
/// type a member can meet implements it; every message ends in 「。」.
///
/// ```
/// use kenpo_auth::{MessageJa, UserId};
/// let error = UserId::parse("ab").unwrap_err();
/// assert_eq!(error.message_ja(), "ユーザーIDは6文字以上で入力してください。");
/// ```
pub trait MessageJa {
    /// The message, one line per problem.
    fn message_ja(&self) -> String;
}

/// The message for a failure that is not the member's (storage, mail, hashing, randomness):
/// nothing they typed was wrong, and trying later may work.
pub(crate) const SYSTEM_FAILURE: &str =
    "ただいまシステムで障害が発生しています。しばらく時間をおいてから、もう一度お試しください。";

/// Characters a message must not print raw: format and other invisible characters.
const fn is_invisible(ch: char) -> bool {
    matches!(
        ch,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// Shows a character in a message: printable ones as themselves, control characters, white
/// space and invisible characters as `U+XXXX`.
pub(crate) fn show_char(ch: char) -> String {
    if ch.is_control() || ch.is_whitespace() || is_invisible(ch) {
        format!("U+{:04X}", u32::from(ch))
    } else {
        ch.to_string()
    }
}

/// Whether `ch` is the full-width form of a printable ASCII character (U+FF01–U+FF5E).
pub(crate) const fn is_full_width_ascii(ch: char) -> bool {
    matches!(ch, '\u{FF01}'..='\u{FF5E}')
}

/// Full-width ASCII (U+FF01–U+FF5E: `０`, `Ａ`, `－`, …) as its half-width form; every other
/// character unchanged. Japanese keyboards type full-width by default, and the forms ask for
/// half-width: being lenient costs nothing where the meaning is plain.
pub(crate) fn half_width(ch: char) -> char {
    if is_full_width_ascii(ch) {
        char::from_u32(u32::from(ch) - 0xFEE0).unwrap_or(ch)
    } else {
        ch
    }
}

/// How long to wait, in the member's words: 「5分ほど」「3時間ほど」「2日ほど」.
pub(crate) fn wait(wait: Duration) -> String {
    const HOUR: u64 = 60 * 60;
    const DAY: u64 = 24 * HOUR;
    let secs = wait.as_secs();
    if secs <= HOUR {
        format!("{}分ほど", minutes(wait).max(1))
    } else if secs <= 2 * DAY {
        format!("{}時間ほど", secs.div_ceil(HOUR))
    } else {
        format!("{}日ほど", secs.div_ceil(DAY))
    }
}

/// One line per item: the messages of a list of problems (every violation of a password,
/// every bad field of a form).
pub(crate) fn lines<'a, T: MessageJa + 'a>(items: impl IntoIterator<Item = &'a T>) -> String {
    items
        .into_iter()
        .map(MessageJa::message_ja)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The English form of a list of problems, for logs: `a; b; c`.
pub(crate) fn semicolons<T: std::fmt::Display>(
    f: &mut std::fmt::Formatter<'_>,
    items: &[T],
) -> std::fmt::Result {
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            f.write_str("; ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// Whole minutes, rounded up (a code valid for 10 minutes is "10分間").
pub(crate) fn minutes(duration: Duration) -> u64 {
    duration.as_secs().div_ceil(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_are_shown_unless_invisible() {
        let cases = [
            ('a', "a"),
            ('山', "山"),
            (' ', "U+0020"),
            ('\u{7}', "U+0007"),
            ('\u{200B}', "U+200B"),
            ('\u{202E}', "U+202E"),
            ('\u{3000}', "U+3000"),
        ];
        for (ch, shown) in cases {
            assert_eq!(show_char(ch), shown, "{ch:?}");
        }
    }

    #[test]
    fn full_width_ascii_folds_and_nothing_else() {
        let cases = [
            ('０', '0'),
            ('Ａ', 'A'),
            ('－', '-'),
            ('～', '~'),
            ('ア', 'ア'),
            ('\u{3000}', '\u{3000}'),
        ];
        for (ch, half) in cases {
            assert_eq!(half_width(ch), half, "{ch:?}");
        }
    }

    #[test]
    fn waits_are_told_in_the_largest_sensible_unit() {
        const MINUTE: u64 = 60;
        let cases = [
            (1, "1分ほど"),
            (30 * MINUTE, "30分ほど"),
            (60 * MINUTE, "60分ほど"),
            (120 * MINUTE, "2時間ほど"),
            (3 * 24 * 60 * MINUTE, "3日ほど"),
        ];
        for (secs, said) in cases {
            assert_eq!(wait(Duration::from_secs(secs)), said, "{secs} s");
        }
        assert_eq!(
            wait(Duration::MAX),
            format!("{}日ほど", u64::MAX / 86_400 + 1)
        );
    }
}
