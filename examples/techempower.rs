//! The TechEmpower "plaintext" and "json" tests, written as a user would write them. This is the server that
//! `shared/bench/compare.sh` and `cost.sh` measure against the peers (see BENCHMARKS.md).
//!
//! ```sh
//! cargo build --release --example techempower
//! PORT=8080 target/release/examples/techempower
//! ```

use micro_http::prelude::*;
use serde::Serialize;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

// TechEmpower asks for `Content-Type: text/plain` exactly (every peer in shared/bench sends it so); a plain
// `&'static str` would say `text/plain; charset=utf-8`.
#[get("/plaintext")]
async fn plaintext() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain")], "Hello, World!")
}

#[get("/json")]
async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

// The main thread only waits for Ctrl-C/SIGTERM: the connections run on micro_http's own per-core workers
// (`Workers::PerCore`), so a single-threaded runtime here is all it needs.
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    micro_http::app!()
        .bind(format!("127.0.0.1:{port}").as_str())
        .await?
        .run()
        .await
}
