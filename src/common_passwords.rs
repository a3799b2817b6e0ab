//! The bundled list of common passwords and the "leet-speak" lookup over it.
//!
//! The list is `src/data/common-passwords.txt`, built by `src/data/build-common-passwords.sh`
//! from Django 5.2.19's `django/contrib/auth/common-passwords.txt.gz` (BSD-3-Clause, licence in
//! `src/data/LICENSE-django`): lower-cased, only entries holding at least four ASCII letters
//! (`a`–`z`; digits and symbols may come in addition), deduplicated and sorted in byte order —
//! 17,203 entries. Lookups are a binary search over the lines, split once.

use std::sync::LazyLock;

use zeroize::Zeroizing;

/// The processed list, one entry a line, sorted in byte order.
const RAW: &str = include_str!("data/common-passwords.txt");

/// The entries, split once on first use.
static LIST: LazyLock<Vec<&'static str>> = LazyLock::new(|| RAW.lines().collect());

/// At most this many `1`s are expanded into every `i`/`l` combination; beyond it only
/// "all `i`" and "all `l`" are tried (2^4 = 16 look-ups at worst).
const MAX_AMBIGUOUS: usize = 4;

/// Number of entries in the bundled list.
pub(crate) fn len() -> usize {
    LIST.len()
}

/// Whether `candidate` is on the list (exact, case-sensitive; entries are lower-case).
pub(crate) fn contains(candidate: &str) -> bool {
    LIST.binary_search(&candidate).is_ok()
}

/// Whether `password` counts as common.
///
/// Lower-case the password; if that is on the list, it is common. Otherwise strip leading and
/// trailing non-letters (digits and symbols), undo the usual substitutions in what remains
/// (`@`→a, `0`→o, `1`→i or l, `3`→e, `4`→a, `5`→s, `7`→t, `!`→i) and look the result up.
pub(crate) fn is_common(password: &str) -> bool {
    let lower = Zeroizing::new(password.to_lowercase());
    if contains(&lower) {
        return true;
    }
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    if core.is_empty() {
        return false;
    }
    let ones = core.chars().filter(|&c| c == '1').count();
    let mut buf = Zeroizing::new(String::with_capacity(core.len()));
    if ones <= MAX_AMBIGUOUS {
        // Every i/l choice for the '1's: bit k of `mask` picks 'l' for the k-th '1'.
        (0u32..(1u32 << ones)).any(|mask| {
            unleet_into(core, mask, &mut buf);
            contains(&buf)
        })
    } else {
        [0u32, u32::MAX].into_iter().any(|mask| {
            unleet_into(core, mask, &mut buf);
            contains(&buf)
        })
    }
}

/// Writes `core` with the substitutions undone into `out` (cleared first). The k-th `1`
/// (k < 32) becomes `l` when bit k of `mask` is set, else `i`; later ones follow bit 31.
fn unleet_into(core: &str, mask: u32, out: &mut String) {
    out.clear();
    let mut ones = 0u32;
    for c in core.chars() {
        let plain = match c {
            '@' | '4' => 'a',
            '0' => 'o',
            '1' => {
                let bit = ones.min(31);
                ones = ones.saturating_add(1);
                if mask & (1 << bit) == 0 { 'i' } else { 'l' }
            }
            '3' => 'e',
            '5' => 's',
            '7' => 't',
            '!' => 'i',
            other => other,
        };
        out.push(plain);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_unique_lower_case_with_four_letters() {
        assert!(LIST.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        for entry in LIST.iter() {
            assert_eq!(*entry, entry.to_ascii_lowercase());
            assert!(
                entry.bytes().filter(u8::is_ascii_lowercase).count() >= 4,
                "{entry}"
            );
        }
        assert_eq!(len(), 17_203);
    }

    #[test]
    fn the_issue_examples_are_common() {
        for p in [
            "p@ssw0rd",
            "Password1!",
            "Passw0rd!",
            "qwerty123!",
            "1qaz@wsx",
        ] {
            assert!(is_common(p), "{p}");
        }
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
    fn random_looking_passwords_are_not_common() {
        for p in ["Xq7#mZ2!pL", "tR9(kW4_vB", "Hn3&uu8+Qs"] {
            assert!(!is_common(p), "{p}");
        }
    }
}
