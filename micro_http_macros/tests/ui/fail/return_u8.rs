use micro_http::prelude::*;

#[get("/answer")]
async fn answer() -> u8 {
    42
}

fn main() {}
