//! Handlers whose body cannot suspend (no `.await`, only path parameters) run where they are called, with no boxed
//! future: their answers, panics and rejections must be those of any other handler, and a body that can suspend
//! (an `.await`, or a macro that may expand to one) must keep the boxed path.

use micro_http::__private::{Handled, Route};
use micro_http::prelude::*;
use micro_http::test::{request, TestClient};

#[get("/now")]
async fn now() -> &'static str {
    "at once"
}

#[get("/now/{n}")]
async fn double(n: u32) -> String {
    format!("{}", n * 2)
}

#[get("/now/panic/{n}")]
async fn boom(n: u32) -> String {
    if n > 0 {
        panic!("boom {n}");
    }
    "no boom".to_string()
}

#[get("/later")]
async fn later() -> &'static str {
    tokio::task::yield_now().await;
    "after a yield"
}

/// Expands to an `.await` the route attribute cannot see: the handler below must not be run at once.
macro_rules! wait_for {
    ($e:expr) => {
        $e.await
    };
}

#[get("/hidden-await")]
async fn hidden_await() -> &'static str {
    wait_for!(tokio::task::yield_now());
    "after a hidden yield"
}

#[error_handler]
async fn not_found() -> Html<&'static str> {
    Html("<p>none here</p>")
}

fn head(path: &str) -> Request {
    request(&format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n"))
}

#[test]
fn only_bodies_that_cannot_suspend_run_at_once() {
    assert!(matches!(
        (now::def().handler)(&mut head("/now")),
        Handled::Ready(_)
    ));
    assert!(matches!(
        (double::def().handler)(&mut head("/now/2")),
        Handled::Ready(_)
    ));
    assert!(matches!(
        (later::def().handler)(&mut head("/later")),
        Handled::Future(_)
    ));
    assert!(matches!(
        (hidden_await::def().handler)(&mut head("/hidden-await")),
        Handled::Future(_)
    ));
}

#[tokio::test]
async fn answers_rejections_and_panics_are_those_of_any_handler() {
    let c = TestClient::from_routes();
    let r = c.get("/now").send().await;
    assert_eq!(
        (r.status(), r.text()),
        (StatusCode::OK, "at once".to_string())
    );
    let r = c.get("/now/21").send().await;
    assert_eq!(r.text(), "42");
    assert_eq!(
        c.get("/now/x").send().await.status(),
        StatusCode::BAD_REQUEST
    );
    // A panic in a handler run at once is this request's 500; the next request is served.
    assert_eq!(
        c.get("/now/panic/1").send().await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(c.get("/now/panic/0").send().await.text(), "no boom");
    assert_eq!(c.get("/later").send().await.text(), "after a yield");
    assert_eq!(
        c.get("/hidden-await").send().await.text(),
        "after a hidden yield"
    );
    // The error handler runs at once too, and keeps its 404.
    let r = c.get("/nothing").send().await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.text(), "<p>none here</p>");
}

#[tokio::test]
async fn over_a_socket_a_panic_at_once_leaves_the_connection_and_server_serving() {
    let server = app!().bind("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr();
    let handle = server.shutdown_handle();
    let task = tokio::spawn(server.run_until(std::future::pending()));
    // A blocking std client on the blocking pool, bounded by its read timeout.
    let got = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        s.write_all(b"GET /now/panic/1 HTTP/1.1\r\nHost: t\r\n\r\nGET /now/4 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .expect("write");
        let mut got = Vec::new();
        s.read_to_end(&mut got).expect("answered in time");
        got
    })
    .await
    .unwrap();
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 500 "), "{got}");
    assert!(got.contains("HTTP/1.1 200 OK"), "{got}");
    assert!(got.ends_with("\r\n\r\n8"), "{got}");
    handle.shutdown();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
}
