//! Request-head parsing, whole versus fragmented.
//!
//! Input layout: `[n] [data ...] [split_1 .. split_n]`. The first byte is the number of split bytes, which are
//! taken from the end of the input (clamped to what is there); each split byte `s` feeds `s + 1` bytes at a
//! time, then the rest of `data` is fed at once. `micro_http_core::parse::fuzz::heads` parses `data` both whole
//! and at those split points and panics if the two runs disagree on any head, error or where a head ends.
//!
//! FUZZING.md finding 1 (414 only when a long line arrived in pieces) is fixed; its reproducers in
//! `regressions/head_parser/` are pinned by unit tests in `micro_http_core/src/parse/fuzz.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&n, rest)) = input.split_first() else {
        return;
    };
    let n = usize::from(n).min(rest.len());
    let (data, splits) = rest.split_at(rest.len() - n);
    micro_http_core::parse::fuzz::heads(data, splits);
});
