//! Response framing: HEAD, 405 with Allow, OPTIONS, streamed bodies, the Date header, panics.
mod common;
use common::*;

#[tokio::test]
async fn head_has_get_headers_and_no_body() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send("HEAD /plaintext HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let r = c.read_response(true).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("13"));
    // The next response starts right where the HEAD response's head ended: no body was sent.
    c.send(get("/plaintext")).await;
    let r = c.read_response(false).await;
    assert_eq!(r.text(), "Hello, World!");
}

#[tokio::test]
async fn method_not_allowed_lists_allow() {
    let srv = start_default().await;
    let r = exchange(srv.addr, "DELETE /users/7 HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(r.status, 405);
    let allow = r.header("allow").unwrap();
    for m in ["GET", "HEAD", "PUT"] {
        assert!(allow.contains(m), "{allow}");
    }
    let r = exchange(srv.addr, "OPTIONS /users/7 HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(r.status, 204);
    assert!(r.header("allow").unwrap().contains("PUT"));
}

#[tokio::test]
async fn unknown_path_is_404() {
    let srv = start_default().await;
    let r = exchange(srv.addr, get("/nope")).await;
    assert_eq!(r.status, 404);
    assert!(!r.body.is_empty());
}

#[tokio::test]
async fn streamed_body_is_chunked_for_http11_and_close_delimited_for_http10() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send(get("/stream")).await;
    let r = c.read_response(false).await;
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.text(), "hello streamed world");
    c.send(get("/plaintext")).await;
    assert_eq!(c.read_response(false).await.status, 200);

    let r = exchange(
        srv.addr,
        "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    )
    .await;
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.text(), "hello streamed world");
}

#[tokio::test]
async fn every_response_has_date_and_length() {
    let srv = start_default().await;
    for path in ["/plaintext", "/nope", "/users/x"] {
        let r = exchange(srv.addr, get(path)).await;
        let date = r.header("date").expect("Date");
        assert!(httpdate::parse_http_date(date).is_ok(), "{date}");
        assert!(r.header("content-length").is_some());
        assert_eq!(r.header("server"), Some("micro_http"));
    }
}

#[tokio::test]
async fn panic_becomes_500_and_connection_lives() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send(get("/panic")).await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 500);
    c.send(get("/plaintext")).await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(exchange(srv.addr, get("/plaintext")).await.status, 200);
}

#[tokio::test]
async fn percent_encoded_slash_stays_in_its_segment() {
    let srv = start_default().await;
    let r = exchange(srv.addr, get("/users/a%2Fb")).await;
    assert_eq!(r.text(), "user a/b");
    let r = exchange(srv.addr, get("/users/%FF")).await;
    assert_eq!(r.status, 400);
}

/// Found by the connection fuzz target: a refused HEAD request got the error's body.
#[tokio::test]
async fn refused_head_request_gets_no_body() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send("HEAD /plaintext HTTP/1.1\r\nHost: t\r\nContent-Length: 999999\r\n\r\n")
        .await;
    let r = c.read_response(true).await;
    assert_eq!(r.status, 413);
    let declared: usize = r.header("content-length").unwrap().parse().unwrap();
    assert!(declared > 0);
    // Nothing follows the head: the connection closes with no body bytes.
    assert!(c.is_closed().await);
    assert!(
        c.leftover().is_empty(),
        "body bytes after a HEAD response: {:?}",
        c.leftover()
    );
}

#[tokio::test]
async fn header_arrays_set_fields_on_the_wire_and_an_invalid_value_is_a_500() {
    use micro_http_core::{header, App, Method, Request, StatusCode};
    let app = App::new()
        .route(Method::GET, "/plain", |_req: Request| async {
            ([(header::CONTENT_TYPE, "text/plain")], "Hello, World!")
        })
        .route(Method::GET, "/made", |_req: Request| async {
            (
                StatusCode::CREATED,
                [
                    (header::LOCATION, "/things/1"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                "made",
            )
        })
        .route(Method::GET, "/split", |_req: Request| async {
            let evil = String::from("a\r\nset-cookie: stolen=1");
            ([(header::CACHE_CONTROL, evil)], "never sent")
        });
    let srv = start(app).await;
    let mut c = Client::connect(srv.addr).await;
    c.send(get("/plain")).await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 200);
    // Replaces the body's `text/plain; charset=utf-8`, and appears once.
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(
        r.headers
            .iter()
            .filter(|(n, _)| n == "content-type")
            .count(),
        1
    );
    assert_eq!(r.text(), "Hello, World!");
    c.send(get("/made")).await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("location"), Some("/things/1"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.text(), "made");
    c.send(get("/split")).await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 500);
    assert!(r.header("set-cookie").is_none());
    assert!(!r.text().contains("never sent"));
}
