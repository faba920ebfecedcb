use micro_http::prelude::*;

#[get("/")]
fn index() -> &'static str {
    "hi"
}

fn main() {}
