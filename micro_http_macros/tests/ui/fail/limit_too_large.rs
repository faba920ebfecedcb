use micro_http::prelude::*;

#[post("/upload", limit = "99999999999 GiB")]
async fn upload(body: Bytes) -> String {
    body.len().to_string()
}

fn main() {}
