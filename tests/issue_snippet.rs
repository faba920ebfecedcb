//! The snippet users are promised (README quick start): it must compile and behave exactly as written.

mod users {
    // A route in a separate module, never mentioned anywhere else, is served.
    use micro_http::prelude::*;

    #[get("/nested/ping")]
    pub async fn ping() -> &'static str {
        "pong"
    }
}

use micro_http::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Default)]
struct Paging {
    page: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct User {
    id: u32,
    page: u32,
}

#[get("/users/{id}")]
async fn user(id: u32, q: Query<Paging>) -> Json<User> {
    Json(User {
        id,
        page: q.0.page.unwrap_or(1),
    })
}

#[post("/api/echo")]
async fn echo(Json(v): Json<serde_json::Value>) -> Json<serde_json::Value> {
    Json(v)
}

#[error_handler]
async fn not_found(req: Request) -> Html<String> {
    Html(format!(
        "<h1>Nothing at {}</h1>",
        req.path().replace('<', "&lt;")
    ))
}

#[allow(dead_code)]
async fn main_would_be() -> std::io::Result<()> {
    serve!().await
}

#[tokio::test]
async fn user_handler_works() {
    let Json(u) = user(7, Query(Paging::default())).await;
    assert_eq!(u.id, 7);
}

#[tokio::test]
async fn the_app_serves_it() {
    let c = micro_http::test::TestClient::from_routes();
    let r = c.get("/users/9?page=3").send().await;
    let u: User = r.json();
    assert_eq!((u.id, u.page), (9, 3));
    assert_eq!(c.get("/users/nine").send().await.status(), 400);
    let r = c.get("/missing").send().await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.text().contains("/missing"));
    assert_eq!(c.get("/nested/ping").send().await.text(), "pong");
    let r = c
        .post("/api/echo")
        .json(&serde_json::json!({"k": 1}))
        .send()
        .await;
    assert_eq!(r.json::<serde_json::Value>()["k"], 1);
}
