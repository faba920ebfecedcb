//! At most one `#[error_handler]` per program: a second is a startup error naming both.

use micro_http::prelude::*;

#[error_handler]
async fn one(_req: Request) -> &'static str {
    "one"
}

#[error_handler]
async fn two(_req: Request) -> &'static str {
    "two"
}

#[test]
fn startup_names_both_error_handlers() {
    let err = match App::from_routes().build() {
        Err(e) => e.to_string(),
        Ok(_) => panic!("two error handlers were accepted"),
    };
    assert!(err.contains("more than one #[error_handler]"), "{err}");
    assert!(err.contains("::one") && err.contains("::two"), "{err}");
    assert!(
        err.contains("tests/two_error_handlers.rs:6")
            && err.contains("tests/two_error_handlers.rs:11"),
        "{err}"
    );
}
