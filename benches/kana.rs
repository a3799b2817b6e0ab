//! Benchmarks `kana::fold` and `kana::equivalent` over 100,000 generated names in mixed
//! spellings (fixed seed), each beside a naive Unicode-normalisation baseline in the same run,
//! then prints names/s, MB/s and the ratios from timed passes of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(clippy::cast_precision_loss)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use kenpo_auth::kana;
use unicode_normalization::UnicodeNormalization;

const NAMES: usize = 100_000;

/// splitmix64: a fixed-seed generator, so every run benchmarks the same names.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
}

/// Syllables of names, in full-width katakana (voiced, small and yōon forms included).
const SYLLABLES: &[&str] = &[
    "ア", "イ", "ウ", "エ", "オ", "カ", "キ", "ク", "ケ", "コ", "サ", "シ", "ス", "セ", "ソ", "タ",
    "チ", "ツ", "テ", "ト", "ナ", "ニ", "ヌ", "ネ", "ノ", "ハ", "ヒ", "フ", "ヘ", "ホ", "マ", "ミ",
    "ム", "メ", "モ", "ヤ", "ユ", "ヨ", "ラ", "リ", "ル", "レ", "ロ", "ワ", "ン", "ガ", "ギ", "グ",
    "ゲ", "ゴ", "ザ", "ジ", "ズ", "ゼ", "ゾ", "ダ", "デ", "ド", "バ", "ビ", "ブ", "ベ", "ボ", "パ",
    "ピ", "プ", "ペ", "ポ", "シャ", "シュ", "ショ", "キョ", "リョ", "チャ", "ジュ", "ッ", "ー",
];

const HALF_FROM: &str = "ァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
const HALF_TO: &str = "ｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ";

fn to_half_width(s: &str) -> String {
    let from: Vec<char> = HALF_FROM.chars().collect();
    let to: Vec<char> = HALF_TO.chars().collect();
    s.nfd()
        .map(|c| match c {
            '\u{3099}' => 'ﾞ',
            '\u{309A}' => 'ﾟ',
            _ => from.iter().position(|&f| f == c).map_or(c, |i| to[i]),
        })
        .collect()
}

fn to_hiragana(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(u32::from(c) - 0x60).unwrap(),
            _ => c,
        })
        .collect()
}

/// A spelling of `name` (surname, given name in katakana) chosen by `style`.
fn spell(surname: &str, given: &str, style: usize) -> String {
    let render = |s: &str| match style % 5 {
        0 => s.to_owned(),
        1 => to_hiragana(s),
        2 => to_half_width(s),
        3 => s.nfd().collect(),
        _ => to_hiragana(s).nfd().collect(),
    };
    let separator = [" ", "　", "", "・"][style / 5 % 4];
    format!("{}{separator}{}", render(surname), render(given))
}

/// (name, another spelling of the same name) pairs.
fn generate() -> Vec<(String, String)> {
    let mut rng = Rng(0x6B65_6E70_6F5F_6B61);
    let part = |rng: &mut Rng| {
        let len = 2 + rng.below(3);
        let mut s = String::new();
        for i in 0..len {
            let mut syllable = SYLLABLES[rng.below(SYLLABLES.len())];
            while i == 0 && matches!(syllable, "ッ" | "ー" | "ン") {
                syllable = SYLLABLES[rng.below(SYLLABLES.len())];
            }
            s.push_str(syllable);
        }
        s
    };
    (0..NAMES)
        .map(|_| {
            let surname = part(&mut rng);
            let given = part(&mut rng);
            let a = spell(&surname, &given, rng.below(20));
            let b = spell(&surname, &given, rng.below(20));
            (a, b)
        })
        .collect()
}

/// The naive pipeline: NFKC, NFD, drop U+3099/U+309A, hiragana to katakana, small to large,
/// drop spaces — each step a new `String`.
fn naive_fold(s: &str) -> String {
    let nfkc: String = s.nfkc().collect();
    let nfd: String = nfkc.nfd().collect();
    let unvoiced: String = nfd
        .chars()
        .filter(|c| !matches!(c, '\u{3099}' | '\u{309A}'))
        .collect();
    let katakana: String = unvoiced
        .chars()
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(u32::from(c) + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect();
    let large: String = katakana
        .chars()
        .map(|c| match c {
            'ァ' | 'ィ' | 'ゥ' | 'ェ' | 'ォ' | 'ャ' | 'ュ' | 'ョ' | 'ッ' | 'ヮ' => {
                char::from_u32(u32::from(c) + 1).unwrap_or(c)
            }
            'ヵ' => 'カ',
            'ヶ' => 'ケ',
            _ => c,
        })
        .collect();
    large
        .chars()
        .filter(|c| !matches!(c, ' ' | '　' | '・'))
        .collect()
}

fn fold_all(names: &[(String, String)]) -> usize {
    names
        .iter()
        .map(|(a, _)| kana::fold(black_box(a)).map_or(0, |k| k.len()))
        .sum()
}

fn naive_fold_all(names: &[(String, String)]) -> usize {
    names
        .iter()
        .map(|(a, _)| naive_fold(black_box(a)).len())
        .sum()
}

fn equivalent_all(names: &[(String, String)]) -> usize {
    names
        .iter()
        .filter(|(a, b)| kana::equivalent(black_box(a), black_box(b)))
        .count()
}

fn naive_equivalent_all(names: &[(String, String)]) -> usize {
    names
        .iter()
        .filter(|(a, b)| naive_fold(black_box(a)) == naive_fold(black_box(b)))
        .count()
}

fn criterion_groups(c: &mut Criterion, names: &[(String, String)]) {
    let mut group = c.benchmark_group("fold");
    group.throughput(Throughput::Elements(NAMES as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("kenpo", |b| b.iter(|| fold_all(names)));
    group.bench_function("naive", |b| b.iter(|| naive_fold_all(names)));
    group.finish();

    let mut group = c.benchmark_group("equivalent_equal_pairs");
    group.throughput(Throughput::Elements(NAMES as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("kenpo", |b| b.iter(|| equivalent_all(names)));
    group.bench_function("naive", |b| b.iter(|| naive_equivalent_all(names)));
    group.finish();
}

/// The best of `rounds` timed passes over all names.
fn best(rounds: usize, f: impl Fn() -> usize) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    let names = generate();
    // Every pair is two spellings of one name; both implementations must agree on that.
    assert_eq!(equivalent_all(&names), NAMES);
    assert_eq!(naive_equivalent_all(&names), NAMES);
    for (a, _) in names.iter().take(1000) {
        assert_eq!(kana::fold(a).unwrap(), naive_fold(a), "{a}");
    }

    let mut c = Criterion::default().configure_from_args();
    criterion_groups(&mut c, &names);
    c.final_summary();

    let fold_bytes: usize = names.iter().map(|(a, _)| a.len()).sum();
    let pair_bytes: usize = names.iter().map(|(a, b)| a.len() + b.len()).sum();
    let rows = [
        ("fold", best(20, || fold_all(&names)), fold_bytes),
        (
            "fold (naive)",
            best(5, || naive_fold_all(&names)),
            fold_bytes,
        ),
        (
            "equivalent, equal pairs",
            best(20, || equivalent_all(&names)),
            pair_bytes,
        ),
        (
            "equivalent (naive: fold both, compare)",
            best(5, || naive_equivalent_all(&names)),
            pair_bytes,
        ),
    ];
    let rate = |d: Duration| NAMES as f64 / d.as_secs_f64();
    println!(
        "\n{NAMES} names, mean {:.1} bytes each",
        fold_bytes as f64 / NAMES as f64
    );
    println!("| operation | names/s | MB/s | ratio to naive |");
    println!("|---|---:|---:|---:|");
    for (i, (label, time, bytes)) in rows.iter().enumerate() {
        let baseline = rows[i / 2 * 2 + 1].1;
        let ratio = baseline.as_secs_f64() / time.as_secs_f64();
        println!(
            "| {label} | {:.2} M | {:.0} | {ratio:.1}× |",
            rate(*time) / 1e6,
            *bytes as f64 / time.as_secs_f64() / 1e6,
        );
    }
}
