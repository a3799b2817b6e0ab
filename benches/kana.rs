//! Benchmarks `kana::fold` and `kana::equivalent` over 100,000 generated names in mixed
//! spellings (fixed seed), each beside a naive Unicode-normalisation baseline in the same run,
//! then prints names/s, MB/s and the ratios from timed passes of its own. The target is 20× the
//! baseline for both.
//!
//! # Tuning notes
//!
//! What was tried and what it measured, on the 2-core development VM. The machine is shared:
//! compare figures of one run, not across runs. The ratio is steadier than names/s but rises
//! with the load (at a load average of 4 to 6 on 2 cores it read 25–27× for `fold` and
//! 33–41× for `equivalent`, with the code of the 21.6× and 26.9× below).
//!
//! - Byte-level table lookup (one table for U+3000..=U+30FF and U+FF00..=U+FFFF, read from the
//!   UTF-8 bytes), one-byte codes (`key_char` lets `String::push` write three bytes with no
//!   length branch), `fold` walking three-byte chunks with no length decoding or slicing, and
//!   error positions recomputed by a cold walk rather than carried in the hot loop: `fold`
//!   17.4 M names/s (14.3×), `equivalent` 13.6 M pairs/s (22.0×).
//! - One-load fast table (`FAST`: indexed by the low 12 bits of the code point, tagged with the
//!   lead byte) in place of a two-level page table; `fold` storing every code into a stack
//!   buffer without branching on voicing marks (that branch mispredicts on NFD and half-width
//!   spellings); keys of up to 12 characters written as 12 unconditional pushes, then cut:
//!   `fold` 26.3 M names/s (21.6×, a second run 22.4×), `equivalent` 16.5 M pairs/s (26.9×,
//!   26.8×). `fold` then took about 38 ns a name, about 8 of them allocating and freeing the
//!   `String` it returns.
//! - Allocating `fold`'s `String` before the walk instead of after: about 2 of 40 ns a name.
//! - `Folder::next` needs `#[inline(always)]`: with `#[inline]` it stayed a call in
//!   `equivalent`'s loop.
//! - `Folder`'s own `fast_lookup` path in front of `step`: about 3 % of `equivalent`'s time
//!   when it was added. When the walks were made to read one grammar (`kana::table::piece`),
//!   dropping that path and sending every character through `step` cost `equivalent` 1–6 %
//!   (same-process A/B against the previous code, 41 interleaved rounds); keeping a separate
//!   fast path that reads the character's meaning through the same `piece` made it 9–13 %
//!   faster than before, and `fold` was unchanged within the noise (0.97–1.04 of its time).
//! - `kana::table::lookup` is off the hot path (the walks read `FAST` and `ASCII`, built from
//!   it): turning it from three sub-tables into one `match` changed nothing measurable.
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

// The naive baseline is the parsers' normalisation reference, which the kana laws check `fold`
// against.
#[path = "../tests/parsers/kana_reference.rs"]
mod kana_reference;
use kana_reference::reference;

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

fn fold_all(names: &[(String, String)]) -> usize {
    names
        .iter()
        .map(|(a, _)| kana::fold(black_box(a)).map_or(0, |k| k.len()))
        .sum()
}

fn naive_fold_all(names: &[(String, String)]) -> usize {
    names
        .iter()
        .map(|(a, _)| reference(black_box(a)).len())
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
        .filter(|(a, b)| reference(black_box(a)) == reference(black_box(b)))
        .count()
}

fn criterion_groups(c: &mut Criterion, names: &[(String, String)]) {
    type Pass = fn(&[(String, String)]) -> usize;
    let passes: [(&str, Pass, Pass); 2] = [
        ("fold", fold_all, naive_fold_all),
        (
            "equivalent_equal_pairs",
            equivalent_all,
            naive_equivalent_all,
        ),
    ];
    for (name, kenpo, naive) in passes {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(NAMES as u64));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(4));
        group.bench_function("kenpo", |b| b.iter(|| kenpo(names)));
        group.bench_function("naive", |b| b.iter(|| naive(names)));
        group.finish();
    }
}

/// One timed pass.
fn time(f: impl Fn() -> usize) -> Duration {
    let start = Instant::now();
    black_box(f());
    start.elapsed()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `fast` and `naive` in interleaved rounds, so that both see the same machine load:
/// (best time of `fast`, best time of `naive`, median over rounds of naive time / fast time).
fn compare(
    rounds: usize,
    fast: impl Fn() -> usize,
    naive: impl Fn() -> usize,
) -> (Duration, Duration, f64) {
    let mut fast_best = Duration::MAX;
    let mut naive_best = Duration::MAX;
    let mut ratios = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let f = time(&fast).min(time(&fast));
        let n = time(&naive);
        fast_best = fast_best.min(f);
        naive_best = naive_best.min(n);
        ratios.push(n.as_secs_f64() / f.as_secs_f64());
    }
    (fast_best, naive_best, median(ratios))
}

fn main() {
    let names = generate();
    // Every pair is two spellings of one name; both implementations must agree on that.
    assert_eq!(equivalent_all(&names), NAMES);
    assert_eq!(naive_equivalent_all(&names), NAMES);
    for (a, _) in names.iter().take(1000) {
        assert_eq!(kana::fold(a).unwrap(), reference(a), "{a}");
    }

    let mut c = Criterion::default().configure_from_args();
    criterion_groups(&mut c, &names);
    c.final_summary();

    let fold_bytes: usize = names.iter().map(|(a, _)| a.len()).sum();
    let pair_bytes: usize = names.iter().map(|(a, b)| a.len() + b.len()).sum();
    let fold = compare(15, || fold_all(&names), || naive_fold_all(&names));
    let equivalent = compare(
        15,
        || equivalent_all(&names),
        || naive_equivalent_all(&names),
    );
    let rate = |d: Duration| NAMES as f64 / d.as_secs_f64() / 1e6;
    let mb = |bytes: usize, d: Duration| bytes as f64 / d.as_secs_f64() / 1e6;
    println!(
        "\n{NAMES} names in mixed spellings, mean {:.1} bytes each; best of 15 interleaved rounds,",
        fold_bytes as f64 / NAMES as f64
    );
    println!("ratio = median over the rounds of (naive time / kenpo time)");
    println!("| operation | kenpo names/s | kenpo MB/s | naive names/s | naive MB/s | ratio |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, (fast, naive, ratio), bytes) in [
        ("`fold`", fold, fold_bytes),
        ("`equivalent`, equal pairs", equivalent, pair_bytes),
    ] {
        println!(
            "| {label} | {:.2} M | {:.0} | {:.2} M | {:.0} | {ratio:.1}× |",
            rate(fast),
            mb(bytes, fast),
            rate(naive),
            mb(bytes, naive),
        );
    }
}
