use micro_http::prelude::*;

#[get("/", timeout = "5s")]
async fn index() -> &'static str {
    "hi"
}

fn main() {}
