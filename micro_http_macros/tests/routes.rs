//! Annotated handlers are registered at link time and served by `TestClient::from_routes()`, and stay plain
//! async fns.

use micro_http::__private::{ErrorHandler, Route};
use micro_http::prelude::*;
use micro_http::test::TestClient;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Paging {
    page: u32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct User {
    id: u32,
    name: String,
}

#[get("/users/{id}")]
async fn user(id: u32, q: Query<Paging>) -> Json<User> {
    Json(User {
        id,
        name: format!("page {}", q.0.page),
    })
}

/// The body extractor comes first in the list but is extracted last; the fn gets its arguments in order.
#[post("/users/{id}/rename")]
async fn rename(Json(mut body): Json<User>, id: u32, headers: Headers) -> (StatusCode, Json<User>) {
    body.id = id;
    if let Some(suffix) = headers.get("x-suffix") {
        body.name.push_str(suffix);
    }
    (StatusCode::CREATED, Json(body))
}

#[post("/upload", limit = "16B")]
async fn upload(body: Bytes) -> String {
    format!("{} bytes", body.len())
}

#[route("/either", method = "put", method = "PATCH")]
async fn either(req: Request) -> String {
    req.method().to_string()
}

#[any("/files/{*path}")]
async fn files(path: String) -> String {
    path
}

#[derive(Deserialize)]
struct Pair {
    a: u32,
    b: String,
}

#[get("/pairs/{a}/{b}")]
async fn pair(Path(p): Path<Pair>) -> String {
    format!("{}-{}", p.a, p.b)
}

/// Reports its own line: the registration must say the line of the fn's name, the one before.
#[head("/where")]
async fn where_am_i() -> String {
    line!().to_string()
}

mod nested {
    pub mod deeper {
        use micro_http::prelude::*;

        #[delete("/nested/{id}")]
        pub async fn remove(id: u64) -> StatusCode {
            if id == 0 {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::NO_CONTENT
            }
        }
    }
}

#[error_handler]
async fn not_found(req: Request) -> Html<String> {
    Html(format!("<p>no {}</p>", req.path()))
}

#[tokio::test]
async fn serves_path_params_and_extractors() {
    let client = TestClient::from_routes();
    let res = client.get("/users/7?page=2").send().await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<User>(),
        User {
            id: 7,
            name: "page 2".into()
        }
    );
}

#[tokio::test]
async fn a_path_param_that_does_not_parse_is_a_400_naming_it() {
    let res = TestClient::from_routes()
        .get("/users/abc?page=1")
        .send()
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().contains("`id`"), "{}", res.text());
}

#[tokio::test]
async fn a_refused_extractor_answers_for_the_handler() {
    let res = TestClient::from_routes().get("/users/1").send().await;
    assert_eq!(res.status(), 400, "{}", res.text());
}

#[tokio::test]
async fn extracts_the_body_last_and_passes_arguments_in_order() {
    let res = TestClient::from_routes()
        .post("/users/5/rename")
        .header("x-suffix", "!")
        .json(&User {
            id: 0,
            name: "ann".into(),
        })
        .send()
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.json::<User>(),
        User {
            id: 5,
            name: "ann!".into()
        }
    );
}

#[tokio::test]
async fn a_body_over_the_route_limit_is_a_413() {
    let client = TestClient::from_routes();
    let ok = client.post("/upload").body(vec![b'x'; 16]).send().await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text(), "16 bytes");
    let res = client.post("/upload").body(vec![b'x'; 17]).send().await;
    assert_eq!(res.status(), 413);
    assert_eq!(upload::def().body_limit, Some(16));
}

#[tokio::test]
async fn route_answers_its_methods_only() {
    let client = TestClient::from_routes();
    assert_eq!(client.put("/either").send().await.text(), "PUT");
    assert_eq!(client.patch("/either").send().await.text(), "PATCH");
    assert_eq!(client.get("/either").send().await.status(), 405);
}

#[tokio::test]
async fn any_answers_every_method_with_a_catch_all() {
    let client = TestClient::from_routes();
    assert_eq!(
        client.options("/files/a/b.txt").send().await.text(),
        "a/b.txt"
    );
    assert_eq!(client.delete("/files/c").send().await.text(), "c");
}

#[tokio::test]
async fn path_extractor_takes_every_param() {
    let client = TestClient::from_routes();
    assert_eq!(client.get("/pairs/1/x").send().await.text(), "1-x");
    assert_eq!(client.get("/pairs/no/x").send().await.status(), 400);
}

#[tokio::test]
async fn serves_a_handler_in_a_nested_module() {
    let client = TestClient::from_routes();
    assert_eq!(client.delete("/nested/3").send().await.status(), 204);
    assert_eq!(client.delete("/nested/0").send().await.status(), 404);
    assert_eq!(
        nested::deeper::remove::def().name,
        concat!(module_path!(), "::nested::deeper::remove")
    );
}

#[tokio::test]
async fn error_handler_answers_unmatched_requests_with_404() {
    let res = TestClient::from_routes().get("/nothing/here").send().await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.text(), "<p>no /nothing/here</p>");
    assert_eq!(
        not_found::def().name,
        concat!(module_path!(), "::not_found")
    );
}

#[tokio::test]
async fn handlers_stay_plain_async_fns() {
    assert_eq!(user(1, Query(Paging { page: 3 })).await.0.name, "page 3");
    assert_eq!(files("x/y".into()).await, "x/y");
    assert_eq!(nested::deeper::remove(1).await, StatusCode::NO_CONTENT);
    assert_eq!(upload(Bytes::from_static(b"abc")).await, "3 bytes");
}

#[tokio::test]
async fn a_single_route_mounts_alone() {
    let client = TestClient::new(
        App::new()
            .mount::<files>()
            .mount_error_handler::<not_found>(),
    );
    assert_eq!(client.get("/files/z").send().await.text(), "z");
    assert_eq!(client.get("/users/1?page=1").send().await.status(), 404);
}

#[tokio::test]
async fn registration_records_the_fn_name_line_and_file() {
    let def = where_am_i::def();
    let body_line: u32 = where_am_i().await.parse().unwrap();
    assert_eq!(def.line, body_line - 1);
    assert_eq!(def.file, file!());
    assert_eq!(def.path, "/where");
    let head = TestClient::from_routes().head("/where").send().await;
    assert_eq!(head.status(), 200);
}
