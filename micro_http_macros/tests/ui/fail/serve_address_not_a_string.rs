use micro_http::prelude::*;

#[allow(dead_code)]
async fn run() -> std::io::Result<()> {
    serve!(3000, state = 1u8).await
}

fn main() {}
