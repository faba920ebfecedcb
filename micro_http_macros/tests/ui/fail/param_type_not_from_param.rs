use micro_http::prelude::*;

struct UserId(u32);

#[get("/users/{id}")]
async fn user(id: UserId) -> String {
    id.0.to_string()
}

fn main() {}
