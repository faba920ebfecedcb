use micro_http::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct PostId {
    user: u32,
    post: String,
}

// `Path<T>` takes every parameter: no argument per `{name}` is needed.
#[get("/users/{user}/posts/{post}")]
async fn post(Path(p): Path<PostId>) -> String {
    format!("{} by {}", p.post, p.user)
}

// Both at once is fine too.
#[get("/tags/{tag}")]
async fn tag(tag: String, Path(again): Path<(String,)>) -> String {
    format!("{tag} {}", again.0)
}

fn main() {
    let _ = (post, tag);
}
