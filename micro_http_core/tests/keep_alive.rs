//! Persistent connections (RFC 9112 §9.3) and pipelining (§9.3.2).
mod common;
use common::*;

#[tokio::test]
async fn hundred_requests_on_one_connection() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    for i in 0..100 {
        c.send(get(&format!("/n/{i}"))).await;
        let r = c.read_response(false).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), i.to_string());
        assert!(r.header("connection").is_none());
        assert!(r.header("date").is_some());
        assert!(r.header("content-length").is_some());
    }
}

#[tokio::test]
async fn sixty_four_pipelined_requests_answered_in_order() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    let mut batch = String::new();
    for i in 0..64 {
        batch.push_str(&get(&format!("/n/{i}")));
    }
    c.send(batch).await;
    for i in 0..64 {
        let r = c.read_response(false).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.text(), i.to_string());
    }
}

/// A pipelined batch reads the clock for `Date` once, not per response; a handler that waits in the middle of
/// the batch must not leave the responses after it with the date from before the wait.
#[tokio::test]
async fn a_date_is_not_carried_past_a_handler_that_waited() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    // Two 700 ms handlers between the first and the last: at least 1.4 s apart, so a whole second further.
    c.send(format!(
        "{}{}{}{}",
        get("/plaintext"),
        get("/slow"),
        get("/slow"),
        get("/plaintext")
    ))
    .await;
    let mut dates = Vec::new();
    for _ in 0..4 {
        let r = c.read_response(false).await;
        assert_eq!(r.status, 200);
        let date = r.header("date").expect("date").to_string();
        dates.push(httpdate::parse_http_date(&date).expect("an IMF-fixdate"));
    }
    let apart = dates[3].duration_since(dates[0]).expect("in order");
    assert!(apart >= std::time::Duration::from_secs(1), "{dates:?}");
}

#[tokio::test]
async fn pipelined_posts_with_bodies_stay_framed() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    let mut batch = String::new();
    for i in 0..10 {
        let body = format!("body-{i}");
        batch.push_str(&format!(
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
        // A request whose body the handler ignores must not desynchronise the next one.
        batch.push_str("POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nGET /");
    }
    c.send(batch).await;
    for i in 0..10 {
        let r = c.read_response(false).await;
        assert_eq!(r.text(), format!("body-{i}"));
        let r = c.read_response(false).await;
        assert_eq!(r.text(), "ignored");
    }
}

#[tokio::test]
async fn connection_close_is_honoured() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send("GET /plaintext HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn http10_closes_unless_keep_alive() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send("GET /plaintext HTTP/1.0\r\n\r\n").await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 200);
    assert!(c.is_closed().await);

    let mut c = Client::connect(srv.addr).await;
    for _ in 0..3 {
        c.send("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .await;
        let r = c.read_response(false).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("connection"), Some("keep-alive"));
    }
}

#[tokio::test]
async fn idle_connection_is_closed_after_idle_timeout() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send(get("/plaintext")).await;
    assert_eq!(c.read_response(false).await.status, 200);
    let t = std::time::Instant::now();
    assert!(c.is_closed().await);
    // test_limits().idle_timeout is 1.5 s: closed neither at once nor never.
    assert!(
        t.elapsed() >= std::time::Duration::from_millis(1000),
        "{:?}",
        t.elapsed()
    );
}
