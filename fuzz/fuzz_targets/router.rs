//! The router's matcher on arbitrary paths, then percent-decoding of what it captured: never a panic, captures
//! always inside the path and on `/` boundaries, a static route only for its exact path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use micro_http_core::router::Router;

const PATTERNS: &[&str] = &[
    "/",
    "/json",
    "/plaintext",
    "/users/{id}",
    "/users/{id}/posts/{post}",
    "/users/me",
    "/static/{*path}",
    "/a/b/c",
    "/a/{x}/d",
    "/files/{name}/raw",
];

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    let mut router = Router::new();
    for p in PATTERNS {
        router.insert(p).unwrap();
    }
    if let Some((id, captures)) = router.at(path) {
        assert!(id < PATTERNS.len());
        let mut last_end = 0;
        for (a, b) in captures {
            assert!(a <= b && b <= path.len() && a >= last_end, "{path:?}: capture {a}..{b}");
            assert!(path.is_char_boundary(a) && path.is_char_boundary(b));
            assert!(a > 0 && path.as_bytes()[a - 1] == b'/', "{path:?}: capture does not start a segment");
            let _ = percent_encoding::percent_decode_str(&path[a..b]).decode_utf8();
            last_end = b;
        }
        if !PATTERNS[id].contains('{') {
            assert_eq!(PATTERNS[id], path);
        }
    }
});
