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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    micro_http::serve!().await
}
