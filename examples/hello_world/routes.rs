//! The reference app's routes (see `shared/reference-app.md`). Shared with `tests/reference_app.rs`, which serves
//! exactly these handlers on a real socket.

use std::sync::LazyLock;

use micro_http::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The line the 2021 example printed into its page.
pub const MESSAGE: &str = "This string will be outputted dynamically to the web page!";

static STATIC_FILES: LazyLock<StaticFiles> = LazyLock::new(|| {
    StaticFiles::new(std::env::var("MICRO_HTTP_STATIC").unwrap_or_else(|_| "static".into()))
});

#[derive(Deserialize, Default)]
pub struct NameQuery {
    pub name: Option<String>,
}

/// The index page; `?name=X` adds a greeting (escaped by the template).
#[get("/")]
pub async fn index(Query(q): Query<NameQuery>) -> Template {
    let name = q.name.filter(|n| !n.is_empty());
    Template::render("index.html", context! { message => MESSAGE, name => name })
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct Greeting {
    pub name: String,
}

#[get("/json")]
pub async fn json() -> Json<Greeting> {
    Json(Greeting {
        name: "Hello, world!".into(),
    })
}

#[get("/plaintext")]
pub async fn plaintext() -> &'static str {
    "Hello, World!"
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub struct User {
    pub id: u32,
}

/// A typed path parameter: `/users/abc` answers 400 naming `id`.
#[get("/users/{id}")]
pub async fn user(id: u32) -> Json<User> {
    Json(User { id })
}

#[derive(Deserialize)]
pub struct NameForm {
    pub name: String,
}

/// The urlencoded POST form.
#[post("/form")]
pub async fn form(Form(f): Form<NameForm>) -> Template {
    Template::render(
        "result.html",
        context! { title => "Form received", name => f.name },
    )
}

/// The multipart upload: reports the file's name and size; nothing is written anywhere.
#[post("/upload", limit = "10MiB")]
pub async fn upload(mut multipart: Multipart) -> Result<Template, Rejection> {
    let mut name = None;
    let mut file = None;
    while let Some(mut field) = multipart.next_field().await? {
        match field.name() {
            Some("name") => name = Some(field.text().await?),
            Some("file1") => {
                let file_name = field.file_name().unwrap_or("").to_string();
                // Counted chunk by chunk: the upload is never held in memory whole.
                let mut size = 0u64;
                while let Some(chunk) = field.chunk().await? {
                    size += chunk.len() as u64;
                }
                file = Some((file_name, size));
            }
            _ => {}
        }
    }
    let Some((filename, size)) = file else {
        return Err(Rejection::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing file field `file1`",
        ));
    };
    Ok(Template::render(
        "result.html",
        context! { title => "Upload received", name => name.filter(|n| !n.is_empty()), filename => filename, size => size },
    ))
}

/// Any JSON value, echoed.
#[post("/api/echo")]
pub async fn echo(Json(v): Json<Value>) -> Json<Value> {
    Json(v)
}

/// `./static`, with ETag, 304, Range and traversal protection.
#[get("/static/{*path}")]
pub async fn assets(path: String, req: Request) -> Response {
    let _ = path; // decoded; the service re-derives the raw path from `req` to decode it exactly once
    STATIC_FILES.serve(&req).await
}

/// The 404 page.
#[error_handler]
pub async fn not_found(req: Request) -> Template {
    Template::render(
        "err.html",
        context! { status => 404, reason => "Not Found", path => req.path() },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use micro_http::test::TestClient;

    #[tokio::test]
    async fn handlers_are_plain_fns() {
        let Json(u) = user(7).await;
        assert_eq!(u, User { id: 7 });
        assert_eq!(plaintext().await, "Hello, World!");
        let Json(v) = echo(Json(serde_json::json!({"a": [1, 2]}))).await;
        assert_eq!(v["a"][1], 2);
    }

    #[tokio::test]
    async fn through_the_test_client() {
        let client = TestClient::from_routes();
        let res = client.get("/json").send().await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Greeting>().name, "Hello, world!");
        let res = client.get("/users/abc").send().await;
        assert_eq!(res.status(), 400);
        assert!(res.text().contains("id"));
        let res = client
            .post("/api/echo")
            .json(&serde_json::json!([1, "x"]))
            .send()
            .await;
        assert_eq!(res.json::<Value>(), serde_json::json!([1, "x"]));
        let res = client.delete("/json").send().await;
        assert_eq!(res.status(), 405);
    }
}
