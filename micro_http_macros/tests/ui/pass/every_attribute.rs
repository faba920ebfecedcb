use micro_http::__private::{MethodSet, Route};
use micro_http::prelude::*;

#[get("/get")]
async fn on_get() -> &'static str {
    "get"
}

#[post("/post")]
async fn on_post() -> &'static str {
    "post"
}

#[put("/put")]
async fn on_put() -> &'static str {
    "put"
}

#[patch("/patch")]
async fn on_patch() -> &'static str {
    "patch"
}

#[delete("/delete")]
async fn on_delete() -> &'static str {
    "delete"
}

#[head("/head")]
async fn on_head() -> &'static str {
    "head"
}

#[options("/options")]
async fn on_options() -> &'static str {
    "options"
}

#[route("/route", method = "get", method = "Trace", method = "DELETE")]
async fn on_route() -> &'static str {
    "route"
}

#[any("/any")]
async fn on_any() -> &'static str {
    "any"
}

fn methods<R: Route>() -> Vec<Method> {
    match R::def().methods {
        MethodSet::Only(m) => m.to_vec(),
        MethodSet::Any => Vec::new(),
    }
}

fn main() {
    assert_eq!(methods::<on_get>(), [Method::GET]);
    assert_eq!(methods::<on_post>(), [Method::POST]);
    assert_eq!(methods::<on_put>(), [Method::PUT]);
    assert_eq!(methods::<on_patch>(), [Method::PATCH]);
    assert_eq!(methods::<on_delete>(), [Method::DELETE]);
    assert_eq!(methods::<on_head>(), [Method::HEAD]);
    assert_eq!(methods::<on_options>(), [Method::OPTIONS]);
    assert_eq!(methods::<on_route>(), [Method::GET, Method::TRACE, Method::DELETE]);
    assert!(matches!(on_any::def().methods, MethodSet::Any));
    assert_eq!(micro_http::__private::ROUTES.len(), 9);
}
