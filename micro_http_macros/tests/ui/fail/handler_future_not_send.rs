use micro_http::prelude::*;
use std::rc::Rc;

async fn tick() {}

#[get("/")]
async fn index() -> String {
    let shared = Rc::new(1);
    tick().await;
    shared.to_string()
}

fn main() {}
