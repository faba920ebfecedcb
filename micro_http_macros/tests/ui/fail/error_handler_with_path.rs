use micro_http::prelude::*;

#[error_handler("/x")]
async fn not_found() -> &'static str {
    "nothing here"
}

fn main() {}
