//! Laws of the identity parsers in proptest: no input panics, dates round-trip, keys are
//! normal forms, every valid date is accepted, and the year drop-down offers it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kenpo_auth::{BirthDate, IdentityForm, InsuredIdentity, InsuredKey, MessageJa};
use proptest::prelude::*;

/// 2024-10-01 in Japan.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_727_740_800)
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9A-Za-z-]{0,20}",
        "[０-９Ａ-Ｚａ-ｚ－]{0,20}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn nothing_panics(
        insurer_code in field(), symbol in field(), number in field(),
        birth_date in prop_oneof!["[0-9]{4}-[0-9]{2}-[0-9]{2}", any::<String>()],
        name_kana in any::<String>(),
    ) {
        let form = IdentityForm { insurer_code, symbol, number, birth_date, name_kana };
        match InsuredIdentity::parse(&form) {
            Ok(id) => { let _ = id.key().storage_key(); }
            Err(errors) => {
                prop_assert!(!errors.errors().is_empty());
                let _ = (errors.to_string(), errors.message_ja());
            }
        }
        let _ = form.birth_date.parse::<BirthDate>();
        let _ = BirthDate::parse_japanese(&form.birth_date);
        let _ = BirthDate::parse_japanese(&form.name_kana);
    }

    #[test]
    fn every_real_date_in_range_is_accepted_and_round_trips(days in 0u64..(124 * 366)) {
        // Walk from 1900-01-01 by whole days through SystemTime arithmetic.
        let start = UNIX_EPOCH - Duration::from_secs(2_208_988_800); // 1900-01-01T00:00:00Z
        let t = start + Duration::from_secs(days * 86_400);
        if t <= now() {
            let s = iso_date(t);
            let d = BirthDate::parse_as_of(&s, now()).unwrap();
            prop_assert_eq!(d.to_string(), s);
            prop_assert_eq!(BirthDate::new_as_of(d.year(), d.month(), d.day(), now()), Ok(d));
        }
    }

    #[test]
    fn era_dates_agree_with_gregorian(days in 0u64..(124 * 366)) {
        let start = UNIX_EPOCH - Duration::from_secs(2_208_988_800);
        let t = start + Duration::from_secs(days * 86_400);
        if t <= now() {
            let d = BirthDate::parse_as_of(&iso_date(t), now()).unwrap();
            let (era, year) = d.japanese_era();
            let text = format!("{era}{year}年{}月{}日", d.month(), d.day());
            prop_assert_eq!(BirthDate::parse_japanese_as_of(&text, now()), Ok(d));
        }
    }

    #[test]
    fn keys_are_normal_forms(a in field(), b in field(), c in field()) {
        if let Ok(key) = InsuredKey::new(&a, &b, &c) {
            let again = InsuredKey::new(key.insurer_code(), key.symbol(), key.number()).unwrap();
            prop_assert_eq!(&again, &key);
            prop_assert_eq!(key.storage_key().matches('/').count(), 2);
        }
    }
}

/// `YYYY-MM-DD` of a UTC instant, computed independently of the library (civil-from-days).
#[allow(clippy::many_single_char_names)] // the civil-date algorithm's own names
fn iso_date(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap(),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap(),
    };
    let days = secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A date's year is offered in the year drop-down, labelled with the date's era year, and the
/// year offered first is the one of today in Japan. Every day from 1900 is checked: a sample
/// would rarely land in the few days an era shares a year with the next (1989-01-01..07).
#[test]
fn the_year_choices_offer_every_date_its_era_year() {
    let years = BirthDate::year_choices_as_of(now());
    let in_japan = now() + Duration::from_secs(9 * 60 * 60);
    let this_year: u16 = iso_date(in_japan)[..4].parse().unwrap();
    assert_eq!(years.first().map(|(year, _)| *year), Some(this_year));
    let start = UNIX_EPOCH - Duration::from_secs(2_208_988_800); // 1900-01-01T00:00:00Z
    for t in (0..)
        .map(|day| start + Duration::from_secs(day * 86_400))
        .take_while(|t| *t <= now())
    {
        let d = BirthDate::parse_as_of(&iso_date(t), now()).unwrap();
        let (_, label) = years.iter().find(|(year, _)| *year == d.year()).unwrap();
        let (era, n) = d.japanese_era();
        let era_year = if n == 1 {
            format!("{era}元")
        } else {
            format!("{era}{n}")
        };
        assert!(
            label.split('／').any(|part| part == era_year),
            "{d}: {label}"
        );
    }
}
