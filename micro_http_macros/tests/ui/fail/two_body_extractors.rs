use micro_http::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Login {
    user: String,
}

#[post("/login")]
async fn login(json: Json<Login>, form: Form<Login>) -> String {
    format!("{} {}", json.0.user, form.0.user)
}

fn main() {}
