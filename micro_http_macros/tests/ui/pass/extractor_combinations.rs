use std::collections::HashMap;
use std::sync::Arc;

use micro_http::prelude::*;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Paging {
    page: u32,
}

#[derive(Deserialize)]
struct Login {
    user: String,
}

/// A custom extractor that does not read the body.
struct ApiKey(String);

impl FromRequest for ApiKey {
    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        match req.header("x-api-key") {
            Some(k) => Ok(ApiKey(k.to_string())),
            None => Err(Rejection::new(StatusCode::UNAUTHORIZED, "missing X-Api-Key")),
        }
    }
}

/// A custom extractor that reads the body.
struct Raw(Bytes);

impl FromRequest for Raw {
    const READS_BODY: bool = true;

    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        Bytes::from_request(req).await.map(Raw)
    }
}

#[get("/none")]
async fn no_args() {}

#[get("/params/{a}/{b}/{*rest}")]
async fn params(a: u8, mut b: String, rest: std::path::PathBuf) -> String {
    b.push('!');
    format!("{a} {b} {}", rest.display())
}

#[get("/raw/{type}")]
async fn raw_ident(r#type: String) -> String {
    r#type
}

#[post("/json/{id}")]
async fn json_last(Json(v): Json<Value>, id: u64, q: Query<Paging>, headers: Headers) -> Json<Value> {
    let _ = (id, q.0.page, headers.len());
    Json(v)
}

#[post("/form")]
async fn form(peer: PeerAddr, Form(login): Form<Login>) -> Result<String, StatusCode> {
    let _ = peer;
    Ok(login.user)
}

#[post("/string")]
async fn string(key: ApiKey, body: String) -> (StatusCode, String) {
    (StatusCode::CREATED, format!("{}{body}", key.0))
}

#[post("/bytes")]
async fn bytes(body: Bytes) -> Vec<u8> {
    body.to_vec()
}

#[post("/body")]
async fn body(body: Body) -> Option<&'static str> {
    drop(body);
    None
}

#[any("/request")]
async fn request(state: State<Arc<String>>, req: Request) -> impl IntoResponse {
    format!("{} {}", state.0, req.path())
}

#[post("/custom")]
async fn custom(key: ApiKey, raw: Raw) -> Html<String> {
    Html(format!("{} {}", key.0, raw.0.len()))
}

#[get("/map/{x}")]
async fn map(Path(all): Path<HashMap<String, String>>, x: String) -> Redirect {
    let _ = (all, x);
    Redirect::to("/")
}

#[get("/qualified")]
async fn qualified(q: micro_http::Query<HashMap<String, String>>) -> micro_http::Response {
    let _ = q;
    micro_http::Response::new(micro_http::StatusCode::OK)
}

fn main() {
    let _ = (no_args, params, raw_ident, json_last, form, string, bytes, body, request, custom, map, qualified);
}
