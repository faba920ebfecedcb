use micro_http::prelude::*;

#[get("/")]
struct Index;

fn main() {}
