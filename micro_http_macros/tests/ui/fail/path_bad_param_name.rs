use micro_http::prelude::*;

#[get("/users/{user-id}")]
async fn user() -> &'static str {
    "hi"
}

fn main() {}
