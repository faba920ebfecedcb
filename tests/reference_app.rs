//! One test per row of `shared/reference-app.md`, through a real socket: the reference app's own handlers
//! (`examples/hello_world/routes.rs`) served by `App::from_routes()`.

mod common;
#[path = "../examples/hello_world/routes.rs"]
#[allow(dead_code)]
mod routes;

use common::*;
use std::net::SocketAddr;

async fn addr() -> SocketAddr {
    start_app()
}

fn post(path: &str, content_type: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn index_page() {
    let r = exchange(addr().await, get("/")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.text().contains(routes::MESSAGE));
    assert!(r.text().contains("/static/style.css"));
}

#[tokio::test]
async fn index_greets_by_name_decoded_and_escaped() {
    let r = exchange(addr().await, get("/?name=Ada+Lovelace")).await;
    assert!(r.text().contains("Hello, Ada Lovelace!"), "{}", r.text());
    let r = exchange(addr().await, get("/?name=%3Cscript%3E%26%22%27")).await;
    let text = r.text();
    assert!(!text.contains("<script>"), "{text}");
    assert!(
        text.contains("Hello, &lt;script&gt;&amp;&quot;&#39;!"),
        "{text}"
    );
}

#[tokio::test]
async fn json_route() {
    let r = exchange(addr().await, get("/json")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.text(), r#"{"name":"Hello, world!"}"#);
}

#[tokio::test]
async fn plaintext_route() {
    let r = exchange(addr().await, get("/plaintext")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.text(), "Hello, World!");
}

#[tokio::test]
async fn users_typed_param() {
    let r = exchange(addr().await, get("/users/42")).await;
    assert_eq!((r.status, r.text().as_str()), (200, r#"{"id":42}"#));
    assert_eq!(r.header("content-type"), Some("application/json"));
    for bad in ["/users/abc", "/users/-1", "/users/4294967296"] {
        let r = exchange(addr().await, get(bad)).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.text().contains("id"), "{bad}: {}", r.text());
    }
}

#[tokio::test]
async fn form_post() {
    let a = addr().await;
    let r = exchange(
        a,
        post(
            "/form",
            "application/x-www-form-urlencoded",
            "name=Grace+%3CH%3E",
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("Hello, Grace &lt;H&gt;!"), "{}", r.text());
    let r = exchange(
        a,
        post("/form", "application/x-www-form-urlencoded", "other=1"),
    )
    .await;
    assert!(r.status == 400 || r.status == 422, "{}", r.status);
    assert!(r.text().contains("name"));
}

#[tokio::test]
async fn multipart_upload() {
    let body = "--BOUNDARY\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nbob\r\n\
                --BOUNDARY\r\nContent-Disposition: form-data; name=\"file1\"; filename=\"../../etc/<evil>.txt\"\r\n\
                Content-Type: text/plain\r\n\r\n0123456789\r\n--BOUNDARY--\r\n";
    let r = exchange(
        addr().await,
        post("/upload", "multipart/form-data; boundary=BOUNDARY", body),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    assert!(text.contains("../../etc/&lt;evil&gt;.txt"), "{text}");
    assert!(text.contains("10 bytes"), "{text}");
    assert!(!std::path::Path::new("/etc/<evil>.txt").exists());
}

/// A 3 MiB file sent in 7 KiB writes, its bytes full of near-boundaries, is counted to the byte; a body over
/// the route's 10 MiB limit is refused with 413 from its head alone.
#[tokio::test]
async fn large_upload_streams_and_the_limit_holds() {
    let a = addr().await;
    let near = b"\r\n--BOUNDAR\r\n-BOUNDARY\r\n--\xff\x00";
    let file: Vec<u8> = near.iter().copied().cycle().take(3 << 20).collect();
    for (file, status) in [(&file[..], 200), (&vec![b'x'; 10 << 20][..], 413)] {
        let mut body = b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"file1\"; filename=\"big.bin\"\r\n\r\n".to_vec();
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n--BOUNDARY--\r\n");
        let mut c = Client::connect(a).await;
        c.send(format!(
            "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=BOUNDARY\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ))
        .await;
        if status == 200 {
            for piece in body.chunks(7 * 1024) {
                c.send(piece).await;
            }
        }
        let r = c.read_response(false).await;
        assert_eq!(r.status, status, "{}", r.text());
        if status == 200 {
            assert!(
                r.text().contains(&format!("{} bytes", 3 << 20)),
                "{}",
                r.text()
            );
        }
    }
}

#[tokio::test]
async fn api_echo() {
    let a = addr().await;
    let v = r#"{"a":[1,2,{"b":null}],"c":"\u00e9"}"#;
    let r = exchange(a, post("/api/echo", "application/json", v)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let back: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(back, serde_json::from_str::<serde_json::Value>(v).unwrap());

    let r = exchange(a, post("/api/echo", "application/json", "{\"a\":")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let err: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(err["error"]["status"], 400);

    let r = exchange(a, post("/api/echo", "text/plain", "{}")).await;
    assert_eq!(r.status, 415);
}

#[tokio::test]
async fn static_files() {
    let a = addr().await;
    for (path, ct) in [
        ("/static/style.css", "text/css"),
        ("/static/app.js", "javascript"),
        ("/static/logo.svg", "image/svg+xml"),
    ] {
        let r = exchange(a, get(path)).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.header("content-type").unwrap().contains(ct), "{path}");
        assert!(r.header("etag").is_some() && r.header("last-modified").is_some());
    }
    let r = exchange(a, get("/static/style.css")).await;
    let etag = r.header("etag").unwrap().to_string();
    let r = exchange(
        a,
        format!("GET /static/style.css HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n"),
    )
    .await;
    assert_eq!(r.status, 304);
    let r = exchange(
        a,
        "GET /static/style.css HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\n\r\n",
    )
    .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body.len(), 10);
    assert!(r.header("content-range").unwrap().starts_with("bytes 0-9/"));
}

#[tokio::test]
async fn static_traversal_never_leaves_the_root() {
    let a = addr().await;
    for attack in [
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/%2E%2E/Cargo.toml",
        "/static/.%2e/Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/..%2FCargo.toml",
        "/static/..%5cCargo.toml",
        "/static/..\\Cargo.toml",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/style.css%00.js",
        "/static/%252e%252e/Cargo.toml",
        "/static/C:/Windows/win.ini",
        "/static/..%c0%afCargo.toml",
        "/static/....//Cargo.toml",
    ] {
        let r = exchange(a, get(attack)).await;
        assert!(
            matches!(r.status, 400 | 403 | 404),
            "{attack}: {}",
            r.status
        );
        assert!(
            !r.text().contains("[workspace]"),
            "{attack} leaked Cargo.toml"
        );
        assert!(!r.text().contains("root:"), "{attack} leaked /etc/passwd");
    }
}

#[tokio::test]
async fn unknown_path_renders_the_error_page() {
    let r = exchange(addr().await, get("/no/such/%3Cpage%3E")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let text = r.text();
    assert!(text.contains("/no/such/%3Cpage%3E"), "{text}");
    let r = exchange(addr().await, "GET /x<y> HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(r.status, 404);
    assert!(r.text().contains("/x&lt;y&gt;"), "{}", r.text());
}

#[tokio::test]
async fn known_path_other_method_is_405_with_allow() {
    let r = exchange(addr().await, "DELETE /json HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(r.status, 405);
    let allow = r.header("allow").unwrap();
    assert!(allow.contains("GET") && allow.contains("HEAD"), "{allow}");
    let r = exchange(addr().await, post("/plaintext", "text/plain", "x")).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn head_matches_get() {
    let a = addr().await;
    for path in [
        "/",
        "/json",
        "/plaintext",
        "/users/7",
        "/static/style.css",
        "/nope",
    ] {
        let g = exchange(a, get(path)).await;
        let mut c = Client::connect(a).await;
        c.send(format!("HEAD {path} HTTP/1.1\r\nHost: t\r\n\r\n"))
            .await;
        let h = c.read_response(true).await;
        assert_eq!(h.status, g.status, "{path}");
        let strip = |r: &Resp| {
            let mut hs: Vec<_> = r
                .headers
                .iter()
                .filter(|(n, _)| n != "date")
                .cloned()
                .collect();
            hs.sort();
            hs
        };
        assert_eq!(strip(&h), strip(&g), "{path}");
        // No body: the connection is immediately ready for the next response.
        c.send(get("/plaintext")).await;
        assert_eq!(c.read_response(false).await.text(), "Hello, World!");
    }
}

#[tokio::test]
async fn every_response_has_date_length_and_keeps_alive() {
    let mut c = Client::connect(addr().await).await;
    for path in [
        "/",
        "/json",
        "/plaintext",
        "/users/1",
        "/users/x",
        "/nope",
        "/static/app.js",
    ] {
        c.send(get(path)).await;
        let r = c.read_response(false).await;
        assert!(r.header("date").is_some(), "{path}");
        assert!(r.header("content-length").is_some() || r.header("transfer-encoding").is_some());
        assert_ne!(r.header("connection"), Some("close"), "{path}");
    }
}
