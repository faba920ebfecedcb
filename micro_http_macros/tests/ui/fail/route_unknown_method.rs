use micro_http::prelude::*;

#[route("/items", method = "GET", method = "FETCH")]
async fn items() -> &'static str {
    "hi"
}

fn main() {}
