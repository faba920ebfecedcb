use micro_http::__private::Route;
use micro_http::prelude::*;

#[post("/a", limit = "1024")]
async fn a(_b: Bytes) {}

#[post("/b", limit = "10MiB")]
async fn b(_b: Bytes) {}

#[put("/c", limit = "2 kb")]
async fn c(_b: Bytes) {}

#[route("/d", limit = "1GiB", method = "POST")]
async fn d(_b: Bytes) {}

#[any("/e", limit = "0B")]
async fn e(_b: Bytes) {}

#[get("/f")]
async fn f() {}

fn main() {
    assert_eq!(a::def().body_limit, Some(1024));
    assert_eq!(b::def().body_limit, Some(10 * 1024 * 1024));
    assert_eq!(c::def().body_limit, Some(2000));
    assert_eq!(d::def().body_limit, Some(1 << 30));
    assert_eq!(e::def().body_limit, Some(0));
    assert_eq!(f::def().body_limit, None);
}
