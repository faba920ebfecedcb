use micro_http::prelude::*;

#[route("/a//{id}/{*rest}/x", method = "GRAB", size = "1")]
fn everything_wrong<T>(id: u32) -> &'static str {
    let _ = id;
    "hi"
}

fn main() {}
