//! Extractors: the types a handler takes as arguments, each built from the request by [`FromRequest`], and
//! path parameters parsed by [`FromParam`].
//!
//! An extractor that fails answers for the handler with a [`Rejection`]: a 4xx with a body that says what was
//! wrong, never a panic.

mod body;
mod form;
mod json;
#[cfg(feature = "multipart")]
mod multipart;
mod parts;
mod path;
mod query;
mod rejection;
mod state;

pub use form::Form;
pub use json::Json;
#[cfg(feature = "multipart")]
#[doc(hidden)]
pub use multipart::fuzz_multipart;
#[cfg(feature = "multipart")]
pub use multipart::{Field, Multipart};
pub use parts::PeerAddr;
pub use path::Path;
pub use query::Query;
pub use rejection::Rejection;
pub use state::State;

use std::fmt::Display;
use std::future::Future;
use std::str::FromStr;

use crate::request::Request;

/// Builds a handler argument from the request.
///
/// Extractors that read the body set `READS_BODY`; a handler may have at most one of them. Everything else
/// (headers, query, state, path) may appear any number of times.
///
/// ```
/// use micro_http_core::{FromRequest, Rejection, Request, StatusCode};
///
/// /// The `X-Api-Key` header, required.
/// struct ApiKey(String);
///
/// impl FromRequest for ApiKey {
///     async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
///         match req.header("x-api-key") {
///             Some(k) => Ok(ApiKey(k.to_string())),
///             None => Err(Rejection::new(StatusCode::UNAUTHORIZED, "missing X-Api-Key header")),
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an extractor, so it cannot be a handler argument",
    label = "not an extractor",
    note = "if this argument is a path parameter, add a `{{name}}` segment with the argument's name to the route (e.g. `/users/{{id}}` for `id`)",
    note = "otherwise use an extractor: `Request`, `Query<T>`, `Form<T>`, `Json<T>`, `Path<T>`, `State<T>`, `Headers`, `PeerAddr`, `String`, `Bytes`, `Body`, `Multipart`",
    note = "to take a custom type, implement `micro_http::FromRequest` for it"
)]
pub trait FromRequest: Sized + Send {
    /// `true` for extractors that consume the request body.
    const READS_BODY: bool = false;

    /// Builds the value, or refuses the request.
    fn from_request(req: &mut Request) -> impl Future<Output = Result<Self, Rejection>> + Send;
}

/// Parses a path parameter (`id` in `/users/{id}`) from its percent-decoded text.
///
/// Implemented for every [`FromStr`] type whose error can be displayed: numbers, `String`, `bool`,
/// `IpAddr`, ...; implement `FromStr` for your own types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be parsed from a path segment",
    label = "path parameters need a type that implements `FromStr`",
    note = "use a number, `String`, or a type that implements `std::str::FromStr` with a displayable error"
)]
pub trait FromParam: Sized {
    /// The parse error, shown to the client in the 400 response.
    type Error: Display;

    /// Parses `param`.
    fn from_param(param: &str) -> Result<Self, Self::Error>;
}

impl<T> FromParam for T
where
    T: FromStr,
    T::Err: Display,
{
    type Error = T::Err;

    fn from_param(param: &str) -> Result<Self, Self::Error> {
        param.parse()
    }
}

/// The whole request (headers and body): taking it consumes the body.
impl FromRequest for Request {
    const READS_BODY: bool = true;

    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        Ok(req.take())
    }
}

/// `true` when the request's `Content-Type` has this media type (ignoring parameters and case), or a
/// `+suffix` structured syntax of it (`application/problem+json` for `json`).
pub(crate) fn has_content_type(req: &Request, essence: &str, suffix: Option<&str>) -> bool {
    let Some(ct) = req.header("content-type") else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case(essence) {
        return true;
    }
    match suffix {
        Some(sfx) => {
            mime.len() > sfx.len()
                && mime.is_char_boundary(mime.len() - sfx.len())
                && mime[mime.len() - sfx.len()..].eq_ignore_ascii_case(sfx)
                && mime.contains('/')
        }
        None => false,
    }
}
