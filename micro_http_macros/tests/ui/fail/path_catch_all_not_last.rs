use micro_http::prelude::*;

#[get("/files/{*rest}/edit")]
async fn edit(rest: String) -> String {
    rest
}

fn main() {}
