use micro_http::prelude::*;

#[get("/users/{id")]
async fn user(id: u32) -> String {
    id.to_string()
}

fn main() {}
