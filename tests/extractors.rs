//! Every extractor and its rejections, through the in-process test client (same router and extractors as the
//! network path).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use micro_http::prelude::*;
use micro_http::test::TestClient;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize, Default, Debug, PartialEq)]
struct Paging {
    page: Option<u32>,
    per: Option<u32>,
}

#[get("/x/query")]
async fn query(Query(p): Query<Paging>) -> Json<Paging> {
    Json(p)
}

#[derive(Deserialize)]
struct Login {
    name: String,
    age: u8,
}

#[post("/x/form")]
async fn form(Form(f): Form<Login>) -> String {
    format!("{} {}", f.name, f.age)
}

#[derive(Deserialize, Serialize)]
struct Item {
    id: u32,
    tags: Vec<String>,
}

#[post("/x/json")]
async fn json(Json(item): Json<Item>) -> (StatusCode, Json<Item>) {
    (StatusCode::CREATED, Json(item))
}

#[derive(Deserialize)]
struct PostRef {
    user: u32,
    post: String,
}

#[get("/x/users/{user}/posts/{post}")]
async fn path(Path(p): Path<PostRef>) -> String {
    format!("{}:{}", p.user, p.post)
}

#[get("/x/typed/{a}/{b}")]
async fn typed(a: i64, b: bool) -> String {
    format!("{a} {b}")
}

#[get("/x/headers")]
async fn headers(h: Headers) -> String {
    h.get("x-token").unwrap_or("none").to_string()
}

#[get("/x/peer")]
async fn peer(PeerAddr(addr): PeerAddr) -> String {
    addr.ip().to_string()
}

#[derive(Clone)]
struct Hits(Arc<AtomicU64>);

#[get("/x/state")]
async fn state(State(hits): State<Hits>) -> String {
    (hits.0.fetch_add(1, Ordering::Relaxed) + 1).to_string()
}

#[post("/x/string")]
async fn string(body: String) -> String {
    body.to_uppercase()
}

#[post("/x/bytes")]
async fn bytes(body: Bytes) -> String {
    body.len().to_string()
}

#[post("/x/request")]
async fn request(mut req: Request) -> String {
    let body = req.take_body().bytes().await.unwrap_or_default();
    format!("{} {} {}", req.method(), req.path(), body.len())
}

#[get("/x/result/{ok}")]
async fn result(ok: bool) -> Result<&'static str, (StatusCode, String)> {
    if ok {
        Ok("fine")
    } else {
        Err((StatusCode::CONFLICT, "not fine".into()))
    }
}

#[get("/x/redirect")]
async fn redirect() -> Redirect {
    Redirect::to("/x/query")
}

#[post("/x/small", limit = "8B")]
async fn small(body: String) -> String {
    body
}

fn client() -> TestClient {
    TestClient::new(app!(state = Hits(Arc::new(AtomicU64::new(0)))))
}

#[tokio::test]
async fn query_extractor() {
    let c = client();
    let r = c.get("/x/query?page=2&per=10").send().await;
    assert_eq!(
        r.json::<Paging>(),
        Paging {
            page: Some(2),
            per: Some(10)
        }
    );
    let r = c.get("/x/query").send().await;
    assert_eq!(r.json::<Paging>(), Paging::default());
    let r = c.get("/x/query?page=two").send().await;
    assert_eq!(r.status(), 400);
    assert!(r.text().contains("invalid"), "{}", r.text());
    // A client that prefers JSON gets the rejection as JSON.
    let r = c
        .get("/x/query?page=two")
        .header("accept", "application/json")
        .send()
        .await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json::<serde_json::Value>()["error"]["status"], 400);
}

#[tokio::test]
async fn form_extractor() {
    let c = client();
    let r = c
        .post("/x/form")
        .form(&[("name", "Ada L"), ("age", "36")])
        .send()
        .await;
    assert_eq!(r.text(), "Ada L 36");
    let r = c.post("/x/form").form(&[("name", "Ada")]).send().await;
    assert_eq!(r.status(), 422);
    assert!(r.text().contains("age"), "{}", r.text());
    let r = c
        .post("/x/form")
        .form(&[("name", "Ada"), ("age", "300")])
        .send()
        .await;
    assert_eq!(r.status(), 422);
    let r = c
        .post("/x/form")
        .header("content-type", "text/plain")
        .body("name=a&age=1")
        .send()
        .await;
    assert_eq!(r.status(), 415);
}

#[tokio::test]
async fn json_extractor() {
    let c = client();
    let r = c
        .post("/x/json")
        .json(&serde_json::json!({"id": 3, "tags": ["a"]}))
        .send()
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<serde_json::Value>()["tags"][0], "a");
    for (body, status) in [
        (r#"{"id":"#, 400),
        (r#"{"id":"x","tags":[]}"#, 422),
        (r#"{"tags":[]}"#, 422),
    ] {
        let r = c
            .post("/x/json")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        assert_eq!(r.status(), status, "{body}");
        let v: serde_json::Value = r.json();
        assert_eq!(v["error"]["status"], status);
        assert!(v["error"]["message"].as_str().unwrap().len() > 5);
    }
    let r = c.post("/x/json").body("{}").send().await;
    assert_eq!(r.status(), 415);
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn path_extractors() {
    let c = client();
    assert_eq!(
        c.get("/x/users/7/posts/hello%20world").send().await.text(),
        "7:hello world"
    );
    let r = c.get("/x/users/x/posts/p").send().await;
    assert_eq!(r.status(), 400);
    assert_eq!(c.get("/x/typed/-5/true").send().await.text(), "-5 true");
    let r = c.get("/x/typed/5/maybe").send().await;
    assert_eq!(r.status(), 400);
    assert!(r.text().contains("`b`"), "{}", r.text());
}

#[tokio::test]
async fn header_peer_state_extractors() {
    let c = client();
    assert_eq!(
        c.get("/x/headers")
            .header("X-Token", "abc")
            .send()
            .await
            .text(),
        "abc"
    );
    assert_eq!(c.get("/x/headers").send().await.text(), "none");
    assert_eq!(c.get("/x/peer").send().await.text(), "127.0.0.1");
    assert_eq!(c.get("/x/state").send().await.text(), "1");
    assert_eq!(c.get("/x/state").send().await.text(), "2");
    // Without the state: a 500 that says what is missing, not a panic.
    let bare = TestClient::from_routes();
    let r = bare.get("/x/state").send().await;
    assert_eq!(r.status(), 500);
    assert!(r.text().contains("state"));
}

#[tokio::test]
async fn body_extractors() {
    let c = client();
    assert_eq!(c.post("/x/string").body("abc").send().await.text(), "ABC");
    let r = c.post("/x/string").body(vec![0xff, 0xfe]).send().await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        c.post("/x/bytes").body(vec![0u8; 1000]).send().await.text(),
        "1000"
    );
    assert_eq!(
        c.post("/x/request").body("12345").send().await.text(),
        "POST /x/request 5"
    );
    assert_eq!(
        c.post("/x/small").body("12345678").send().await.status(),
        200
    );
    assert_eq!(
        c.post("/x/small").body("123456789").send().await.status(),
        413
    );
}

#[tokio::test]
async fn responses() {
    let c = client();
    assert_eq!(c.get("/x/result/true").send().await.text(), "fine");
    let r = c.get("/x/result/false").send().await;
    assert_eq!((r.status().as_u16(), r.text().as_str()), (409, "not fine"));
    let r = c.get("/x/redirect").send().await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.header("location"), Some("/x/query"));
}

#[tokio::test]
async fn served_over_a_socket_too() {
    let server = app!(state = Hits(Arc::new(AtomicU64::new(0))))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr: SocketAddr = server.local_addr();
    let handle = server.shutdown_handle();
    let task = tokio::spawn(server.run_until(std::future::pending()));
    // A blocking std client on the blocking pool, bounded by its read timeout.
    let out = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        s.write_all(b"GET /x/typed/1/false HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
    .await
    .unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\n1 false"), "{out}");
    handle.shutdown();
    task.await.unwrap().unwrap();
}
