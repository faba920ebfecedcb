use micro_http::prelude::*;

#[allow(dead_code)]
async fn run() -> std::io::Result<()> {
    serve!("0.0.0.0").await
}

fn main() {}
