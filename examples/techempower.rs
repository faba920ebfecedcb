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

#[get("/plaintext")]
async fn plaintext() -> &'static str {
    "Hello, World!"
}

#[get("/json")]
async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    micro_http::app!()
        .bind(format!("127.0.0.1:{port}").as_str())
        .await?
        .run()
        .await
}
