use micro_http::prelude::*;

#[get("/users/{id}/friends/{id}")]
async fn friend(id: u32) -> String {
    id.to_string()
}

fn main() {}
