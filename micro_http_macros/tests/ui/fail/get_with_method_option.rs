use micro_http::prelude::*;

#[get("/items", method = "POST")]
async fn items() -> &'static str {
    "hi"
}

fn main() {}
