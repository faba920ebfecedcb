#![deny(warnings)]

use micro_http::prelude::*;

// Configured out after the attribute sees it: nothing is registered, nothing refers to the missing fn.
#[get("/gone")]
#[cfg(any())]
async fn gone() -> &'static str {
    "gone"
}

#[get("/here")]
#[cfg(all())]
async fn here() -> &'static str {
    "here"
}

/// Other attributes stay on the fn.
#[get("/old")]
#[deprecated = "use /here"]
#[inline]
async fn old() -> &'static str {
    "old"
}

fn main() {
    assert_eq!(micro_http::__private::ROUTES.len(), 2);
    let _ = here;
}
