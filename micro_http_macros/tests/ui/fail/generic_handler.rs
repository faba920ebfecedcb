use micro_http::prelude::*;

#[get("/")]
async fn index<T: FromRequest>(value: T) -> &'static str {
    let _ = value;
    "hi"
}

fn main() {}
