use micro_http::prelude::*;

struct User {
    name: String,
}

#[get("/me")]
async fn me() -> User {
    User { name: "ann".into() }
}

fn main() {}
