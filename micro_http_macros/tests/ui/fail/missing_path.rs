use micro_http::prelude::*;

#[get]
async fn index() -> &'static str {
    "hi"
}

fn main() {}
