//! # micro_http
//!
//! A micro web framework: annotate async fns with route attributes, call [`serve!`] in `main`, and get a small,
//! fast, strict HTTP/1.1 server. The annotated fns stay plain async fns that a unit test can call directly.
//!
//! ```no_run
//! use micro_http::prelude::*;
//! use serde::Serialize;
//!
//! #[derive(Serialize)]
//! struct User { id: u32 }
//!
//! #[get("/users/{id}")]
//! async fn user(id: u32) -> Json<User> {
//!     Json(User { id })
//! }
//!
//! // The connections run on micro_http's own per-core workers; `main` only waits for Ctrl-C/SIGTERM.
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> std::io::Result<()> {
//!     serve!().await
//! }
//! ```
//!
//! Every annotated fn in the program is found at link time: there is no list of routes to keep.
//! See the attribute macros ([`get`], [`route`], [`error_handler`]) for the syntax, and [`test::TestClient`]
//! for testing a whole app in-process.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "multipart")]
pub use micro_http_core::extract::{Field, Multipart};
#[cfg(feature = "templates")]
pub use micro_http_core::template;
#[cfg(feature = "templates")]
pub use micro_http_core::template::{context, Template};
pub use micro_http_core::{
    app, body, config, error, extract, handler, headers, parse, request, response, router, server,
    static_files,
};
pub use micro_http_core::{
    header, App, Body, BodyError, Bytes, Form, FromParam, FromRequest, HeaderName, HeaderValue,
    Headers, Html, IntoHeaderValue, IntoResponse, Json, Limits, Method, Path, PeerAddr, Query,
    Redirect, Rejection, Request, Response, Server, ShutdownHandle, State, StaticFiles, Status,
    StatusCode, Workers,
};
pub use micro_http_macros::{
    any, app, delete, error_handler, get, head, options, patch, post, put, route, serve,
};

/// Testing an app in-process: [`TestClient`](test::TestClient).
pub mod test {
    pub use micro_http_core::test::*;
}

/// Everything a typical app uses: `use micro_http::prelude::*;`
pub mod prelude {
    pub use crate::{
        any, app, delete, error_handler, get, head, options, patch, post, put, route, serve,
    };
    #[cfg(feature = "multipart")]
    pub use micro_http_core::extract::Multipart;
    #[cfg(feature = "templates")]
    pub use micro_http_core::template::{context, Template};
    pub use micro_http_core::{
        header, App, Body, Bytes, Form, FromRequest, Headers, Html, IntoResponse, Json, Method,
        Path, PeerAddr, Query, Redirect, Rejection, Request, Response, State, StaticFiles, Status,
        StatusCode,
    };
}

#[doc(hidden)]
pub use micro_http_core::__private;
