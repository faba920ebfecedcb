use std::sync::Arc;

use micro_http::prelude::*;

#[get("/")]
async fn index() -> &'static str {
    "hi"
}

// Never called: the point is that every form type-checks as an `io::Result<()>` future or an `App`.
#[allow(dead_code)]
async fn forms() -> std::io::Result<()> {
    let pool = Arc::new(5u32);
    let name = String::from("x");
    serve!().await?;
    serve!("0.0.0.0:3000").await?;
    serve!(state = pool.clone()).await?;
    serve!(state = pool.clone(), state = name.clone()).await?;
    serve!("127.0.0.1:8080", state = pool.clone(),).await?;
    serve!("localhost:0", state = { let n = 1u8; n }, state = vec![1, 2]).await?;
    let _app: App = app!();
    let _app: App = app!(state = pool, state = name);
    Ok(())
}

fn main() {
    let app = app!(state = 1u8).state(2u16);
    let _ = micro_http::test::TestClient::new(app);
}
