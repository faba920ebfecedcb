//! Shared by the protocol tests: a test app on 127.0.0.1:0 with short timeouts, and a raw-socket client that
//! parses responses strictly.
#![allow(dead_code)]

mod client;
pub use client::*;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use micro_http_core::response::BodyStream;
use micro_http_core::{App, Body, Limits, Method, Request, Response, ShutdownHandle, StatusCode};
use tokio::task::JoinHandle;

/// Limits short enough for tests to hit every timeout quickly.
pub fn test_limits() -> Limits {
    Limits {
        head_timeout: Duration::from_millis(500),
        idle_timeout: Duration::from_millis(1500),
        body_timeout: Duration::from_millis(500),
        write_timeout: Duration::from_secs(2),
        shutdown_grace: Duration::from_secs(5),
        max_head_bytes: 8 * 1024,
        max_headers: 20,
        max_header_line_bytes: 2 * 1024,
        max_target_bytes: 1024,
        max_body_bytes: 64 * 1024,
        ..Limits::default()
    }
}

async fn echo(mut req: Request) -> Response {
    match req.take_body().bytes().await {
        Ok(b) => Response::with_content(
            micro_http_core::HeaderValue::from_static("application/octet-stream"),
            b,
        ),
        Err(e) => Response::text(e.status(), e.to_string()),
    }
}

pub fn test_app() -> App {
    App::new()
        .route(Method::GET, "/plaintext", |_req: Request| async {
            "Hello, World!"
        })
        .route(Method::POST, "/echo", echo)
        .route_with_limit(Method::POST, "/small", Some(16), echo)
        .route(Method::POST, "/ignore", |_req: Request| async { "ignored" })
        .route(Method::GET, "/panic", |_req: Request| async {
            if true {
                panic!("boom");
            }
            "unreachable"
        })
        .route(Method::GET, "/slow", |_req: Request| async {
            tokio::time::sleep(Duration::from_millis(700)).await;
            "slow done"
        })
        .route(Method::GET, "/users/{id}", |req: Request| async move {
            format!("user {}", req.param("id").unwrap_or("?"))
        })
        .route(Method::PUT, "/users/{id}", |_req: Request| async { "put" })
        .route(Method::GET, "/n/{n}", |req: Request| async move {
            req.param("n").unwrap_or("?").to_string()
        })
        .route(Method::GET, "/stream", |_req: Request| async {
            let chunks: Vec<std::io::Result<Bytes>> = vec![
                Ok(Bytes::from_static(b"hello ")),
                Ok(Bytes::from_static(b"streamed ")),
                Ok(Bytes::from_static(b"world")),
            ];
            let stream: BodyStream = Box::pin(Iter(chunks.into_iter()));
            Response::new(StatusCode::OK).with_stream(stream, None)
        })
        .route(Method::POST, "/body-len", |mut req: Request| async move {
            let body: Body = req.take_body();
            format!("{}", body.bytes().await.map(|b| b.len()).unwrap_or(0))
        })
        .limits(test_limits())
}

/// A stream over an iterator, without pulling in a futures crate.
struct Iter<I>(I);

impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
    type Item = I::Item;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<I::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub handle: ShutdownHandle,
    pub task: JoinHandle<std::io::Result<()>>,
}

pub async fn start(app: App) -> TestServer {
    let server = app.bind("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr();
    let handle = server.shutdown_handle();
    let task = tokio::spawn(server.run_until(std::future::pending()));
    TestServer { addr, handle, task }
}

pub async fn start_default() -> TestServer {
    start(test_app()).await
}
