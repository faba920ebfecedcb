use micro_http::__private::Route;
use micro_http::prelude::*;

// Handlers written by a declarative macro: the attribute sees `$path` and `$ty` as invisible groups.
macro_rules! echo_route {
    ($name:ident, $path:literal, $ty:ty, $extractor:ty) => {
        #[get($path)]
        async fn $name(id: $ty, q: Query<std::collections::HashMap<String, String>>, h: $extractor) -> String {
            let _ = h;
            format!("{id} {}", q.0.len())
        }
    };
}

echo_route!(by_number, "/n/{id}", u64, Headers);
echo_route!(by_name, "/s/{id}", String, PeerAddr);

fn main() {
    // A handler inside a fn body is registered too.
    #[get("/local")]
    async fn local() -> &'static str {
        "local"
    }

    assert_eq!(by_number::def().path, "/n/{id}");
    assert_eq!(by_name::def().path, "/s/{id}");
    assert_eq!(local::def().path, "/local");
}
