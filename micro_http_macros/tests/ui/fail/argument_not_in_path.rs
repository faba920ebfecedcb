use micro_http::prelude::*;

#[get("/users")]
async fn users(id: u32) -> String {
    id.to_string()
}

fn main() {}
