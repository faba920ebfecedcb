//! The reference app: the 2021 `micro_http_async` hello_world done right.
//!
//! ```sh
//! cargo run --release --example hello_world              # http://127.0.0.1:8080
//! MICRO_HTTP_ADDR=127.0.0.1:3000 cargo run --example hello_world
//! ```
//!
//! Every route lives in `routes.rs` as an annotated async fn; nothing here lists them.

mod routes;

// The main thread only waits for Ctrl-C/SIGTERM: the connections run on micro_http's own per-core workers
// (`Workers::PerCore`), so a single-threaded runtime here is all it needs (`#[tokio::main]` works too).
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    // `RUST_LOG=debug` (or warn, off, ...) sets the level; one line per request at info. (A plain level keeps
    // tracing-subscriber's regex-based `env-filter` out of the build.)
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    tracing_subscriber::fmt().with_max_level(level).init();
    micro_http::serve!().await
}
