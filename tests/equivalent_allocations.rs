//! `kana::equivalent` allocates nothing: counted through a counting global allocator.
// `unsafe impl GlobalAlloc` needs unsafe code. The crate forbids unsafe through its lint table,
// but each integration test is its own crate, so this one file opts in for the allocator
// wrapper only; it forwards every call unchanged to `System`.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use kenpo_auth::kana;

thread_local! {
    /// Allocations made by this thread, so that the test harness's other threads do not count.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

struct Counting;

fn count() {
    // `try_with` because the allocator may be called while thread-locals are being torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn the_counter_sees_allocations() {
    // Without this, a broken counter would make the real test pass vacuously.
    let n = allocations_during(|| {
        std::hint::black_box(kana::fold("ケンポ ショウコ").unwrap());
    });
    assert!(
        n >= 1,
        "fold allocates its key, but {n} allocations were counted"
    );
}

#[test]
fn equivalent_allocates_nothing() {
    let long_ok = "ｶﾞ".repeat(kana::MAX_NAME_CHARS);
    let long_ok_hira = "が".repeat(kana::MAX_NAME_CHARS);
    let too_long = "ア".repeat(kana::MAX_NAME_CHARS + 1);
    let over_input = format!("ア{}", " ".repeat(kana::MAX_INPUT_CHARS + 5));
    let pairs: Vec<(&str, &str)> = vec![
        ("ケンポ ショウコ", "ケンホ シヨウコ"),
        ("ｹﾝﾎﾟ　ｼｮｳｺ", "けんぽしょうこ"),
        ("カ\u{3099}ハ\u{309A}", "ガパ"),
        ("いすゞゟヿ", "イスズヨリコト"),
        ("サトー", "サトウ"),
        ("サト〜", "サト-"),
        ("ヤマダ", "ヤマ田"),
        ("ゝ", "ゝ"),
        ("", ""),
        (" ", "・"),
        (&long_ok, &long_ok_hira),
        (&too_long, &too_long),
        (&over_input, "ア"),
    ];
    let mut results = Vec::with_capacity(pairs.len());
    let n = allocations_during(|| {
        for (a, b) in &pairs {
            results.push(kana::equivalent(
                std::hint::black_box(a),
                std::hint::black_box(b),
            ));
        }
    });
    assert_eq!(n, 0, "equivalent allocated {n} times");
    assert_eq!(
        results,
        [
            true, true, true, true, false, true, false, false, false, false, true, false, false
        ]
    );
}
