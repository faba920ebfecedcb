//! Compile-time behaviour of the macros: `pass/` must build and run, `fail/` must fail with the committed
//! `.stderr` (regenerate with `TRYBUILD=overwrite cargo test -p micro_http_macros --test ui`, then read them).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
