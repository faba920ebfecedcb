use micro_http::prelude::*;

#[get("no-leading-slash")]
async fn index() -> &'static str {
    "hi"
}

fn main() {}
