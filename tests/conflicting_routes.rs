//! Two routes for the same method and pattern are a startup error that names both fns and where they are.

use micro_http::prelude::*;

#[get("/dup/{id}")]
async fn first(id: u32) -> String {
    id.to_string()
}

#[route("/dup/{other}", method = "POST", method = "GET")]
async fn second(other: u32) -> String {
    other.to_string()
}

#[tokio::test]
async fn startup_names_both_routes() {
    let err = match App::from_routes().build() {
        Err(e) => e.to_string(),
        Ok(_) => panic!("conflicting routes were accepted"),
    };
    assert!(err.contains("conflicting routes"), "{err}");
    assert!(err.contains("::first"), "{err}");
    assert!(err.contains("::second"), "{err}");
    assert!(err.contains("tests/conflicting_routes.rs:6"), "{err}");
    assert!(err.contains("tests/conflicting_routes.rs:11"), "{err}");
    // serve!() refuses to start with the same error.
    let serve_err = App::from_routes()
        .bind("127.0.0.1:0")
        .await
        .err()
        .expect("bind must fail");
    assert_eq!(serve_err.kind(), std::io::ErrorKind::InvalidInput);
}
