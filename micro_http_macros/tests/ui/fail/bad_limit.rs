use micro_http::prelude::*;

#[post("/upload", limit = "10 parsecs")]
async fn upload(body: Bytes) -> String {
    body.len().to_string()
}

fn main() {}
