use micro_http::prelude::*;

#[route("/items")]
async fn items() -> &'static str {
    "hi"
}

fn main() {}
