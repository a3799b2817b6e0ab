//! `EmailAddress`: dot-atom local part, quoted ones only when allowed, a domain with a TLD that
//! can receive mail (no special-use names, valid IDNA), length limits, the legacy-carrier case,
//! serde, and other validators' test vectors.

use crate::support::{assert_json_refused, assert_json_round_trip};
use kenpo_auth::{DotProblem, EmailAddress, EmailError, EmailRules, MessageJa};
use proptest::prelude::*;

fn err(input: &str) -> EmailError {
    EmailAddress::parse(input).unwrap_err()
}

/// Each of `inputs` is accepted, and kept as typed.
fn assert_accepted(inputs: &[&str]) {
    for ok in inputs {
        let email = EmailAddress::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(email.as_str(), *ok);
    }
}

/// `input` is refused with `expected`, in a Japanese message that mentions `ja`; only a problem
/// with the dots alone is the legacy-carrier warning.
fn assert_refused(input: &str, expected: &EmailError, ja: &str) {
    let e = err(input);
    assert_eq!(&e, expected, "{input}");
    assert_eq!(
        e.is_dot_atom_warning(),
        matches!(expected, EmailError::DotAtom { .. })
    );
    assert!(e.message_ja().contains(ja), "{}", e.message_ja());
}

#[test]
fn accepts_ordinary_addresses() {
    let ordinary = [
        "taro@example.jp",
        "taro.kenpo@example.co.jp",
        "TARO+survey@Example.CO.JP",
        "a!#$%&'*+-/=?^_`{|}~z@example.com",
        "x@a-b.example.jp",
        "ngk0001@mail.xn--wgv71a.jp",
        "1@2.jp",
        // ドメイン.テスト and ドメイン.jp as A-labels, in either case.
        "taro@xn--eckwd4c7c.xn--zckzah",
        "TARO@XN--ECKWD4C7C.JP",
        // Only the top-level domain is compared with the special-use names.
        "taro@example.com",
        "taro@test.example.co.jp",
        "taro@localhost.jp",
        "taro@mail.onion.jp",
        // `--` elsewhere than the third and fourth positions.
        "taro@c--n.com",
        "taro@a-b--c.jp",
        "xn--test@iana.org",
    ];
    assert_accepted(&ordinary);
    for ok in ordinary {
        let email = EmailAddress::parse(ok).unwrap();
        assert_eq!(format!("{}@{}", email.local_part(), email.domain()), ok);
    }
}

#[test]
fn quoted_local_parts_are_refused_unless_allowed() {
    let quoted = EmailRules::new().with_quoted(true);
    for input in [
        "\"john doe\"@example.jp",
        "\"a@b\\\"c..d\"@example.jp",
        // The issue's example: one reader sees victim@example.com, another the whole address.
        "\"victim@example.com,attacker\"@evil.example.jp",
    ] {
        assert_refused(input, &EmailError::QuotedLocalPart, "「\"」で囲まれた");
        assert!(err(input).to_string().contains("quoted"));
        assert_eq!(
            EmailAddress::parse_allowing_legacy_dots(input),
            Err(EmailError::QuotedLocalPart)
        );
        let email = EmailAddress::parse_with(input, quoted).unwrap();
        assert_eq!(email.as_str(), input);
        assert!(!email.has_legacy_dots());
    }
    let email = EmailAddress::parse_with("\"john doe\"@example.jp", quoted).unwrap();
    assert_eq!(email.local_part(), "\"john doe\"");
    assert_eq!(email.domain(), "example.jp");
    let email = EmailAddress::parse_with("\"a@b\\\"c..d\"@example.jp", quoted).unwrap();
    assert_eq!(email.domain(), "example.jp");
    // The issue's example as written: its domain is special-use, so refused even when quoting
    // is allowed; quoting is reported only when nothing else is wrong.
    let issue = "\"victim@example.com,attacker\"@evil.example";
    assert_eq!(err(issue), EmailError::SpecialUseDomain);
    assert_eq!(
        EmailAddress::parse_with(issue, quoted),
        Err(EmailError::SpecialUseDomain)
    );
    assert_eq!(
        EmailAddress::parse_with("\"john doe\"@host", quoted),
        Err(EmailError::MissingTld)
    );
    // Broken quoting has errors of its own.
    check_refused(&[
        ("\"abc@example.jp", EmailError::UnterminatedQuote),
        ("\"abc\\", EmailError::UnterminatedQuote),
        ("\"abc\"x@example.jp", EmailError::TextAfterQuote),
        ("\"\"@example.jp", EmailError::EmptyLocalPart),
    ]);
}

#[test]
fn legacy_carrier_addresses_get_their_own_error() {
    let cases = [
        ("ab..cd@docomo.ne.jp", DotProblem::Consecutive, 3),
        (".abcd@ezweb.ne.jp", DotProblem::Leading, 1),
        ("abcd.@softbank.ne.jp", DotProblem::Trailing, 5),
        ("_ab..cd---@example.co.jp", DotProblem::Consecutive, 4),
    ];
    for (input, problem, position) in cases {
        let expected = EmailError::DotAtom { problem, position };
        assert_refused(input, &expected, "届かない可能性");
        let accepted = EmailAddress::parse_allowing_legacy_dots(input).unwrap();
        assert!(accepted.has_legacy_dots());
        assert_eq!(accepted.as_str(), input);
    }
    assert!(
        !EmailAddress::parse("a.b@example.jp")
            .unwrap()
            .has_legacy_dots()
    );
}

#[test]
fn dot_atom_is_only_reported_when_nothing_else_is_wrong() {
    // Other faults take precedence, so `is_dot_atom_warning` means "only the dots".
    assert!(matches!(
        err("ab..c d@docomo.ne.jp"),
        EmailError::InvalidChar { ch: ' ', .. }
    ));
    assert_eq!(err("ab..cd@docomo"), EmailError::MissingTld);
    assert_eq!(
        err(&format!("{}..@docomo.ne.jp", "a".repeat(63))),
        EmailError::LocalPartTooLong { max: 64 }
    );
    assert!(EmailAddress::parse_allowing_legacy_dots("ab..cd@docomo").is_err());
}

#[test]
fn refuses_malformed_addresses() {
    let cases: &[(&str, EmailError)] = &[
        ("", EmailError::Empty),
        ("Taro <taro@example.jp>", EmailError::DisplayName),
        ("<taro@example.jp>", EmailError::DisplayName),
        ("\"Taro\" <taro@example.jp>", EmailError::DisplayName),
        ("taro.example.jp", EmailError::MissingAt),
        ("@example.jp", EmailError::EmptyLocalPart),
        ("taro@", EmailError::EmptyDomain),
        ("taro@@example.jp", EmailError::MultipleAt),
        ("taro@example@jp", EmailError::MultipleAt),
        ("taro@localhost", EmailError::MissingTld),
        ("user@xn--p1ai", EmailError::MissingTld),
        ("taro@example.", EmailError::EmptyLabel),
        ("taro@.example.jp", EmailError::EmptyLabel),
        ("taro@example..jp", EmailError::EmptyLabel),
        ("taro@-example.jp", EmailError::LabelHyphen),
        ("taro@example-.jp", EmailError::LabelHyphen),
        ("taro@192.0.2.1", EmailError::InvalidTld),
        ("taro@example.j", EmailError::InvalidTld),
    ];
    check_refused(cases);
}

#[test]
fn refuses_special_use_domains() {
    for input in [
        "a@b.test",
        "a@b.example",
        "a@b.invalid",
        "a@b.localhost",
        "a@printer.local",
        "a@duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion",
        "a@1.0.0.127.in-addr.arpa",
        "a@B.TEST",
        "a@b.Example",
        "a@mail.example.ONION",
        "x@a-b.example",
    ] {
        assert_refused(input, &EmailError::SpecialUseDomain, "使用できません");
        for rules in all_rules() {
            assert_eq!(
                EmailAddress::parse_with(input, rules),
                Err(EmailError::SpecialUseDomain),
                "{input} {rules:?}"
            );
        }
    }
    // Only the last label: these are ordinary names.
    assert_accepted(&[
        "a@example.com",
        "a@example.jp",
        "a@example.co.jp",
        "a@test.jp",
        "a@arpa.co.jp",
    ]);
    // Other faults come first.
    assert_eq!(err("a@-b.test"), EmailError::LabelHyphen);
    assert_eq!(err("a@xn--zz.test"), EmailError::InvalidIdna);
    assert_eq!(err("ab..cd@docomo.test"), EmailError::SpecialUseDomain);
}

#[test]
fn the_tld_is_letters_or_an_a_label() {
    for (input, expected) in [
        ("user@host.tld-2", EmailError::InvalidTld),
        ("user@host.123", EmailError::InvalidTld),
        ("user@host.c0m", EmailError::InvalidTld),
        ("user@host.co-uk", EmailError::InvalidTld),
        ("user@host.a", EmailError::InvalidTld),
        ("user@255.255.255.255", EmailError::InvalidTld),
        ("user@bad-tld-1", EmailError::MissingTld),
    ] {
        assert_refused(input, &expected, "ドメイン");
    }
    assert_accepted(&[
        "user@host.jp",
        "user@host.museum",
        "user@host.JP",
        "user@host.xn--p1ai",
        "user@host.XN--P1AI",
        "user@host.xn--zckzah",
    ]);
    // An A-label TLD must still be valid IDNA.
    assert_eq!(err("user@host.xn--0"), EmailError::InvalidIdna);
}

#[test]
fn xn_labels_must_be_valid_idna() {
    // ドメイン.テスト (Japanese), παράδειγμα.δοκιμή (Greek), 臺網中心.tw, 日本.jp, in any case.
    assert_accepted(&[
        "taro@xn--eckwd4c7c.xn--zckzah",
        "test@xn--hxajbheg2az3al.xn--jxalpdlp",
        "jeff@xn--fiqq24b10vi0d.tw",
        "ngk0001@mail.xn--wgv71a.jp",
        "taro@Xn--Eckwd4c7c.jp",
    ]);
    for input in [
        // Not Punycode at all, or cut short.
        "a@xn--zz.com",
        "me@xn--0.tld",
        "a@xn--a.com",
        // Decodes, but to something IDNA refuses: upper-case Ä (xn--4ca would be ä), a
        // combining mark first (U+0301), a private-use character, a ZERO WIDTH JOINER with no
        // virama before it, a full-width Ａ (mapped, so not as it stands), `ab--ü` (hyphens in
        // positions 3 and 4 of the U-label), and an ideographic full stop.
        "a@xn--7ba.com",
        "a@xn--a-wbb.com",
        "a@xn--0y0c.com",
        "a@xn--ab-m1t.com",
        "a@xn--ph7c.com",
        "a@xn--ab---3ra.com",
        "a@xn--ab-r13a.com",
        // A right-to-left label beside a label starting with a digit breaks the Bidi rule.
        "a@1abc.xn--mgbh0fb.com",
    ] {
        assert_refused(input, &EmailError::InvalidIdna, "ドメイン");
        assert!(err(input).to_string().contains("IDNA"));
    }
    // Punycode for plain ASCII ("abc"), and the bare prefix, end with a hyphen, so the label
    // hyphen rule refuses them first.
    assert_eq!(err("a@xn--abc-.com"), EmailError::LabelHyphen);
    assert_eq!(err("a@xn--.com"), EmailError::LabelHyphen);
}

#[test]
fn hyphens_in_positions_three_and_four_are_reserved() {
    for input in [
        "a@ab--cd.com",
        "me@yy--0.tld",
        "a@mail.AB--cd.jp",
        "a@xy--.com",
        "a@sub.ab--.jp",
        "a@example.qq--jp",
    ] {
        let e = err(input);
        assert!(
            e == EmailError::ReservedHyphens || e == EmailError::LabelHyphen,
            "{input}: {e:?}"
        );
    }
    assert_eq!(err("a@ab--cd.com"), EmailError::ReservedHyphens);
    assert_eq!(err("a@example.qq--jp"), EmailError::ReservedHyphens);
    assert!(err("a@ab--cd.com").message_ja().contains("ドメイン"));
    // Elsewhere, or with the xn prefix (then IDNA decides), hyphens are fine.
    assert_accepted(&["a@a--b.com", "a@abc--d.com", "a@a-b-c.com", "a@xn--4ca.com"]);
}

/// Every combination of the relaxations.
fn all_rules() -> [EmailRules; 4] {
    [
        EmailRules::new(),
        EmailRules::new().with_legacy_dots(true),
        EmailRules::new().with_quoted(true),
        EmailRules::new().with_legacy_dots(true).with_quoted(true),
    ]
}

#[test]
fn rules_relax_only_what_they_name() {
    let dots = "ab..cd@docomo.ne.jp";
    let quoted = "\"ab cd\"@docomo.ne.jp";
    for rules in all_rules() {
        assert_eq!(
            EmailAddress::parse_with(dots, rules).is_ok(),
            rules.allow_legacy_dots
        );
        assert_eq!(
            EmailAddress::parse_with(quoted, rules).is_ok(),
            rules.allow_quoted
        );
        assert!(EmailAddress::parse_with("taro@example.co.jp", rules).is_ok());
    }
    assert_eq!(EmailRules::default(), EmailRules::new());
    let mut rules = EmailRules::default();
    rules.allow_legacy_dots = true;
    assert_eq!(rules, EmailRules::new().with_legacy_dots(true));
    assert_eq!(
        EmailRules::new().with_quoted(true).with_quoted(false),
        EmailRules::new()
    );
}

#[test]
fn refuses_characters_out_of_place() {
    let cases: &[(&str, EmailError)] = &[
        (
            "taro@[192.0.2.1]",
            EmailError::InvalidChar {
                ch: '[',
                position: 6,
            },
        ),
        (
            "taro @example.jp",
            EmailError::InvalidChar {
                ch: ' ',
                position: 5,
            },
        ),
        (
            " taro@example.jp",
            EmailError::InvalidChar {
                ch: ' ',
                position: 1,
            },
        ),
        (
            "taro@example.jp ",
            EmailError::InvalidChar {
                ch: ' ',
                position: 16,
            },
        ),
        (
            "taro@exa_mple.jp",
            EmailError::InvalidChar {
                ch: '_',
                position: 9,
            },
        ),
        (
            "ta(ro)@example.jp",
            EmailError::InvalidChar {
                ch: '(',
                position: 3,
            },
        ),
        (
            "taro＠example.jp",
            EmailError::InvalidChar {
                ch: '＠',
                position: 5,
            },
        ),
        (
            "たろう@example.jp",
            EmailError::InvalidChar {
                ch: 'た',
                position: 1,
            },
        ),
        (
            "taro@例え.jp",
            EmailError::InvalidChar {
                ch: '例',
                position: 6,
            },
        ),
        (
            "ta\tro@example.jp",
            EmailError::InvalidChar {
                ch: '\t',
                position: 3,
            },
        ),
        (
            "\"ta\u{7}\"@example.jp",
            EmailError::InvalidChar {
                ch: '\u{7}',
                position: 4,
            },
        ),
    ];
    check_refused(cases);
}

fn check_refused(cases: &[(&str, EmailError)]) {
    for (input, expected) in cases {
        assert_eq!(&err(input), expected, "{input:?}");
        assert!(!expected.is_dot_atom_warning());
    }
}

#[test]
fn length_limits() {
    let local64 = "a".repeat(64);
    assert!(EmailAddress::parse(&format!("{local64}@example.jp")).is_ok());
    assert_eq!(
        err(&format!("a{local64}@example.jp")),
        EmailError::LocalPartTooLong { max: 64 }
    );
    let label63 = "b".repeat(63);
    assert!(EmailAddress::parse(&format!("a@{label63}.jp")).is_ok());
    assert_eq!(
        err(&format!("a@b{label63}.jp")),
        EmailError::LabelTooLong { max: 63 }
    );
    // 254 octets in all: 64 + 1 + 189.
    let domain = format!(
        "{}.{}.{}.jp",
        "c".repeat(63),
        "d".repeat(63),
        "e".repeat(58)
    );
    let exact = format!("{local64}@{domain}");
    assert_eq!(exact.len(), 254);
    assert!(EmailAddress::parse(&exact).is_ok());
    let over = format!("{local64}@f{domain}");
    assert_eq!(err(&over), EmailError::TooLong { max: 254 });
}

#[test]
fn messages_are_japanese() {
    assert!(err("taro＠example.jp").message_ja().contains("全角"));
    assert!(err("taro @example.jp").message_ja().contains("空白"));
    assert!(err("taro@@example.jp").message_ja().contains("2つ以上"));
    assert!(err("").message_ja().contains("入力"));
    assert!(err("Taro <taro@example.jp>").message_ja().contains("名前"));
    assert!(
        err("taro@@example.jp")
            .to_string()
            .contains("more than one @")
    );
}

#[test]
fn serde_goes_through_parse() {
    let email = EmailAddress::parse("taro@example.jp").unwrap();
    assert_json_round_trip(&email, "\"taro@example.jp\"");
    // Reading refuses what parsing refuses, the domain rules included.
    assert_json_refused::<EmailAddress>(&[
        "\"taro@@example.jp\"",
        "\"taro@mail.test\"",
        "\"taro@xn--zz.jp\"",
    ]);
    // An address accepted after the legacy-dots warning can be read back, and so can a quoted
    // one a host accepted with quoting allowed.
    assert!(serde_json::from_str::<EmailAddress>("\"ab..cd@docomo.ne.jp\"").is_ok());
    let quoted = EmailAddress::parse_with(
        "\"john doe\"@example.jp",
        EmailRules::new().with_quoted(true),
    )
    .unwrap();
    assert_json_round_trip(&quoted, "\"\\\"john doe\\\"@example.jp\"");
}

proptest! {
    #[test]
    fn never_panics(input in any::<String>(), dots: bool, quoted: bool) {
        let _ = EmailAddress::parse(&input);
        let _ = EmailAddress::parse_allowing_legacy_dots(&input);
        let rules = EmailRules::new().with_legacy_dots(dots).with_quoted(quoted);
        let _ = EmailAddress::parse_with(&input, rules);
    }

    #[test]
    fn never_panics_on_a_labels(label in "[a-z0-9-]{0,20}", tld in "(xn--)?[a-z0-9]{1,8}") {
        let _ = EmailAddress::parse(&format!("a@xn--{label}.{tld}"));
        let _ = EmailAddress::parse(&format!("a@XN--{label}.jp"));
    }

    #[test]
    fn never_panics_near_the_grammar(input in "[a-z.@\"\\\\ <>-]{0,40}") {
        if let Ok(email) = EmailAddress::parse(&input) {
            prop_assert_eq!(format!("{}@{}", email.local_part(), email.domain()), input);
        }
    }

    #[test]
    fn generated_dot_atoms_pass(
        local in "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[A-Za-z0-9_-]{1,10}){0,3}",
        labels in proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", 1..4),
        tld in "[a-z]{2,6}",
    ) {
        // Labels with `--` in the third and fourth positions and special-use TLDs are refused.
        prop_assume!(labels.iter().all(|label| label.get(2..4) != Some("--")));
        prop_assume!(!["test", "local", "onion", "arpa"].contains(&tld.as_str()));
        let input = format!("{local}@{}.{tld}", labels.join("."));
        let email = EmailAddress::parse(&input).unwrap();
        prop_assert_eq!(email.local_part(), local.as_str());
    }

    #[test]
    fn a_doubled_dot_is_the_dot_atom_error(a in "[a-z0-9]{1,10}", b in "[a-z0-9]{1,10}") {
        let e = EmailAddress::parse(&format!("{a}..{b}@docomo.ne.jp")).unwrap_err();
        prop_assert!(e.is_dot_atom_warning());
    }
}

// ---------------------------------------------------------------------------------------------
// Other validators' vectors (tests/data/email/README.md)
// ---------------------------------------------------------------------------------------------

/// A source's file: (verdict is "valid", address, note) for each line.
fn vectors(text: &str) -> Vec<(bool, String, &str)> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let mut fields = line.split('\t');
            let verdict = fields.next().unwrap();
            let address = unescape(fields.next().unwrap());
            let note = fields.next().unwrap();
            assert!(fields.next().is_none(), "{line:?}");
            assert!(verdict == "valid" || verdict == "invalid", "{line:?}");
            (verdict == "valid", address, note)
        })
        .collect()
}

/// Undoes the file's escapes: `\\`, `\t`, `\n`, `\r`, `\u{HEX}`.
fn unescape(field: &str) -> String {
    let mut out = String::new();
    let mut chars = field.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('u') => {
                assert_eq!(chars.next(), Some('{'), "{field:?}");
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            other => panic!("bad escape {other:?} in {field:?}"),
        }
    }
    out
}

const SOURCES: [(&str, &str); 3] = [
    ("isemail", include_str!("../data/email/isemail.tsv")),
    (
        "email-validator",
        include_str!("../data/email/email-validator.tsv"),
    ),
    (
        "email_address",
        include_str!("../data/email/email_address.tsv"),
    ),
];

#[test]
fn the_escapes_round_trip() {
    assert_eq!(
        unescape(r"a\\b\t\n\r\u{7F}\u{10FDEF}"),
        "a\\b\t\n\r\u{7f}\u{10FDEF}"
    );
}

#[test]
fn source_vectors_invalid_are_refused() {
    let mut accepted = Vec::new();
    let mut invalid = 0;
    for (source, text) in SOURCES {
        for (valid, address, note) in vectors(text) {
            if valid {
                continue;
            }
            invalid += 1;
            // The sources' verdicts already take their quoting options into account (README),
            // so no invalid address is one whose only fault is quoting: allowing quoted local
            // parts must not let any through. Allowing legacy dots lets through exactly those
            // whose only fault is the dots (`EmailError::DotAtom`), which is what it is for.
            let only_dots = EmailAddress::parse(&address).is_err_and(|e| e.is_dot_atom_warning());
            for rules in all_rules() {
                if rules.allow_legacy_dots && only_dots {
                    continue;
                }
                if let Ok(email) = EmailAddress::parse_with(&address, rules) {
                    accepted.push(format!(
                        "{source}: {:?} with {rules:?} ({note})",
                        email.as_str()
                    ));
                }
            }
        }
    }
    println!(
        "{invalid} addresses the sources call invalid; accepted: {}",
        accepted.len()
    );
    for line in &accepted {
        println!("  {line}");
    }
    assert!(invalid > 350, "the vector files were not read: {invalid}");
    assert!(accepted.is_empty(), "{accepted:#?}");
}

/// Why this crate refuses an address on purpose, or `None` for any other reason.
fn refused_by_design(address: &str, error: &EmailError) -> Option<&'static str> {
    if address.contains('<') && address.contains('>') {
        // Untrimmed ones too: "  Name <a@b.c> " fails on its first space.
        return Some("display name");
    }
    Some(match error {
        EmailError::QuotedLocalPart => "quoted local part",
        EmailError::InvalidChar { ch: '[', .. } => "address literal ([...])",
        EmailError::InvalidChar { ch, .. } if !ch.is_ascii() => "non-ASCII",
        EmailError::DisplayName => "display name",
        EmailError::SpecialUseDomain => "special-use TLD",
        EmailError::MissingTld => "no TLD",
        EmailError::InvalidTld => "TLD not letters (digits, hyphen, one letter)",
        EmailError::EmptyLocalPart => "empty (quoted) local part",
        _ => return None,
    })
}

#[test]
fn source_vectors_valid_are_refused_only_by_design() {
    use std::collections::BTreeMap;
    let mut by_reason: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut accepted: BTreeMap<&str, usize> = BTreeMap::new();
    let mut other = Vec::new();
    for (source, text) in SOURCES {
        for (valid, address, note) in vectors(text) {
            if !valid {
                continue;
            }
            match EmailAddress::parse(&address) {
                Ok(_) => *accepted.entry(source).or_default() += 1,
                Err(error) => match refused_by_design(&address, &error) {
                    Some(reason) => *by_reason.entry((source, reason)).or_default() += 1,
                    None => other.push(format!("{source}: {address:?} {error:?} ({note})")),
                },
            }
        }
    }
    println!("addresses the sources call valid, accepted by EmailAddress::parse: {accepted:?}");
    println!("refused by design, by source and reason:");
    for ((source, reason), count) in &by_reason {
        println!("  {source:16} {reason:45} {count:4}");
    }
    let total: usize = by_reason.values().sum();
    println!("  total refused by design: {total}");
    assert!(
        other.is_empty(),
        "valid addresses refused for another reason: {other:#?}"
    );
}
