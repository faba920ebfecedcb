//! The reference app on 127.0.0.1:0, and the strict raw-socket client shared with the core's tests.
#![allow(dead_code)]

#[path = "../../micro_http_core/tests/common/client.rs"]
mod client;
pub use client::*;

use std::net::SocketAddr;

/// Serves every route of the test binary (the reference app's, included by the test file) on a free port, on a
/// runtime of its own: each `#[tokio::test]` has its own runtime, and the server must outlive them all.
pub fn start_app() -> SocketAddr {
    static ADDR: std::sync::OnceLock<SocketAddr> = std::sync::OnceLock::new();
    *ADDR.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let server = micro_http::App::from_routes()
                    .bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                tx.send(server.local_addr()).unwrap();
                server.run_until(std::future::pending()).await
            })
        });
        rx.recv().expect("server started")
    })
}
