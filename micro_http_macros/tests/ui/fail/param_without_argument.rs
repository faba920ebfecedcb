use micro_http::prelude::*;

#[get("/users/{id}")]
async fn user() -> &'static str {
    "which one?"
}

fn main() {}
