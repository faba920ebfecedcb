use micro_http::prelude::*;

#[get("/")]
async fn index(value: impl FromRequest) -> &'static str {
    let _ = value;
    "hi"
}

fn main() {}
