//! The runtime of [micro_http](https://docs.rs/micro_http): a small, strict and fast HTTP/1.1 server on tokio.
//!
//! A request travels one way through the modules of this crate:
//!
//! socket → [`server`] (accept, limits, shutdown) → `conn` (per-connection loop) → `parse` (request head and
//! body framing) → [`router`] → [`extract`] → handler → [`response`] → socket.
//!
//! Most users never name this crate: the facade crate `micro_http` re-exports it together with the route
//! attributes. The builder API works without macros:
//!
//! ```no_run
//! use micro_http_core::{App, Method, Request};
//!
//! async fn hello(_req: Request) -> &'static str {
//!     "Hello, World!"
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! App::new()
//!     .route(Method::GET, "/plaintext", hello)
//!     .bind("127.0.0.1:8080")
//!     .await?
//!     .run()
//!     .await
//! # }
//! ```
// Three `unsafe` blocks, each a measured speed-up (BENCHMARKS.md): conn/transport.rs (`commit`: reading into a
// buffer's spare capacity) and conn/sys.rs (`recv` and `send` as system calls without libc's cancellation points).
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
pub mod app;
#[doc(hidden)]
pub mod bench_hooks;
pub mod body;
mod clock;
pub mod config;
mod conn;
mod date;
pub mod error;
pub mod extract;
pub mod handler;
pub mod headers;
mod panic;
pub mod parse;
pub mod registry;
pub mod request;
pub mod response;
pub mod router;
pub mod server;
mod shutdown;
pub mod static_files;
#[cfg(feature = "templates")]
pub mod template;
pub mod test;

pub use app::App;
pub use body::{Body, BodyError};
pub use bytes::Bytes;
pub use config::Limits;
pub use extract::{Form, Json, Path, PeerAddr, Query, State};
pub use extract::{FromParam, FromRequest, Rejection};
pub use headers::Headers;
pub use http::{header, HeaderName, HeaderValue, Method, StatusCode};
pub use request::Request;
pub use response::{Html, IntoHeaderValue, IntoResponse, Redirect, Response};
pub use server::{Server, ShutdownHandle, Workers};
pub use static_files::StaticFiles;
#[cfg(feature = "templates")]
pub use template::Template;

/// Short name for [`StatusCode`], as in `(Status::CREATED, "made")`.
pub type Status = StatusCode;
