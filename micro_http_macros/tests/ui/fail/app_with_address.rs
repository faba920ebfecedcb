use micro_http::prelude::*;

fn main() {
    let _app = app!("0.0.0.0:3000");
}
