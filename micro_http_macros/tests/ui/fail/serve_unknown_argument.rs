use micro_http::prelude::*;

#[allow(dead_code)]
async fn run() -> std::io::Result<()> {
    serve!(port = 3000).await
}

fn main() {}
