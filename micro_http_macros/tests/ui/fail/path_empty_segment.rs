use micro_http::prelude::*;

#[get("/a//b")]
async fn ab() -> &'static str {
    "hi"
}

fn main() {}
