//! [`IntoResponse`]: what a handler may return, and the small response types [`Html`] and [`Redirect`].

use std::borrow::Cow;

use bytes::Bytes;
use http::header::InvalidHeaderValue;
use http::{header, HeaderName, HeaderValue, StatusCode};

use super::Response;

pub(crate) const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
pub(crate) const TEXT_HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
pub(crate) const OCTET_STREAM: HeaderValue = HeaderValue::from_static("application/octet-stream");

/// Turns a handler's return value into a [`Response`].
///
/// Implemented for `&'static str` and `String` (`text/plain`), [`Html`] (`text/html`), `Json` (`application/json`),
/// `Vec<u8>` and [`Bytes`] (`application/octet-stream`), [`StatusCode`] (an empty response), `()` (an empty 200),
/// [`Response`] itself, [`Redirect`], `(StatusCode, T)` to change the status of any of these,
/// `([(name, value); N], T)` and `(StatusCode, [(name, value); N], T)` to set header fields too (a
/// `Content-Type` among them replaces the body's), `Option<T>` (`None` is a 404) and `Result<T, E>` where both
/// sides are `IntoResponse`.
///
/// ```
/// use micro_http_core::{header, IntoResponse, StatusCode};
///
/// let res = (StatusCode::CREATED, "made").into_response();
/// assert_eq!(res.status(), StatusCode::CREATED);
///
/// let res = ([(header::CONTENT_TYPE, "text/plain"), (header::CACHE_CONTROL, "no-store")], "hi").into_response();
/// assert_eq!(res.content_type().unwrap(), "text/plain");
/// assert_eq!(res.header("cache-control").unwrap(), "no-store");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a handler: it does not implement `IntoResponse`",
    label = "this return type is not a response",
    note = "return a `String`, `&'static str`, `Html<T>`, `Json<T>`, `Response`, `StatusCode`, `(StatusCode, T)` or `Result<T, E>` of those, or implement `IntoResponse` for `{Self}`"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    #[inline]
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for &'static str {
    #[inline]
    fn into_response(self) -> Response {
        Response::with_content(TEXT_PLAIN, Bytes::from_static(self.as_bytes()))
    }
}

impl IntoResponse for String {
    #[inline]
    fn into_response(self) -> Response {
        Response::with_content(TEXT_PLAIN, self)
    }
}

impl IntoResponse for Cow<'static, str> {
    fn into_response(self) -> Response {
        match self {
            Cow::Borrowed(s) => s.into_response(),
            Cow::Owned(s) => s.into_response(),
        }
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        Response::with_content(OCTET_STREAM, self)
    }
}

impl IntoResponse for &'static [u8] {
    fn into_response(self) -> Response {
        Response::with_content(OCTET_STREAM, Bytes::from_static(self))
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        Response::with_content(OCTET_STREAM, self)
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        Response::new(self)
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(StatusCode::OK)
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        self.1.into_response().with_status(self.0)
    }
}

/// A header field value a handler may return beside its body: `([(name, value); N], body)`.
///
/// Implemented for `&'static str` (checked, then used without a copy), `String` and [`HeaderValue`]. A value with CR, LF or NUL in it is refused: the response becomes a 500, never a split one.
pub trait IntoHeaderValue {
    /// The value, or why it cannot be one.
    fn into_header_value(self) -> Result<HeaderValue, InvalidHeaderValue>;
}

impl IntoHeaderValue for &'static str {
    #[inline]
    fn into_header_value(self) -> Result<HeaderValue, InvalidHeaderValue> {
        // Checked once and borrowed, not copied: `from_maybe_shared` keeps a `Bytes` as it is.
        HeaderValue::from_maybe_shared(Bytes::from_static(self.as_bytes()))
    }
}

impl IntoHeaderValue for String {
    fn into_header_value(self) -> Result<HeaderValue, InvalidHeaderValue> {
        HeaderValue::try_from(self)
    }
}

impl IntoHeaderValue for HeaderValue {
    #[inline]
    fn into_header_value(self) -> Result<HeaderValue, InvalidHeaderValue> {
        Ok(self)
    }
}

/// Sets `fields` on `res` (later values of a name replace earlier ones), or turns it into a 500 when a value is
/// invalid.
fn with_fields<V: IntoHeaderValue, const N: usize>(
    mut res: Response,
    fields: [(HeaderName, V); N],
) -> Response {
    for (name, value) in fields {
        match value.into_header_value() {
            Ok(v) => {
                // Cannot fail: the value is already a `HeaderValue`.
                let _ = res.insert_header(name, v);
            }
            Err(_) => {
                tracing::error!(field = %name, "a handler returned an invalid header value; answering 500");
                return Response::text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the handler returned an invalid header value\n",
                );
            }
        }
    }
    res
}

impl<T: IntoResponse, V: IntoHeaderValue, const N: usize> IntoResponse
    for ([(HeaderName, V); N], T)
{
    #[inline]
    fn into_response(self) -> Response {
        with_fields(self.1.into_response(), self.0)
    }
}

impl<T: IntoResponse, V: IntoHeaderValue, const N: usize> IntoResponse
    for (StatusCode, [(HeaderName, V); N], T)
{
    #[inline]
    fn into_response(self) -> Response {
        with_fields(self.2.into_response().with_status(self.0), self.1)
    }
}

impl<T: IntoResponse> IntoResponse for Option<T> {
    fn into_response(self) -> Response {
        match self {
            Some(v) => v.into_response(),
            None => Response::text(StatusCode::NOT_FOUND, "Not Found"),
        }
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(v) => v.into_response(),
            Err(e) => e.into_response(),
        }
    }
}

/// An HTML response (`text/html; charset=utf-8`).
///
/// The content is sent as given: escape user data (templates do it for you).
///
/// ```
/// use micro_http_core::{Html, IntoResponse};
///
/// let res = Html("<h1>Hi</h1>").into_response();
/// assert_eq!(res.content_type().unwrap(), "text/html; charset=utf-8");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Html<T>(pub T);

impl<T: Into<Bytes>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        Response::with_content(TEXT_HTML, self.0.into())
    }
}

/// A redirect: `303 See Other` (after a form post), `307 Temporary Redirect` or `308 Permanent Redirect`,
/// with a `Location` header.
///
/// ```
/// use micro_http_core::{header, IntoResponse, Redirect, StatusCode};
///
/// let res = Redirect::to("/login").into_response();
/// assert_eq!(res.status(), StatusCode::SEE_OTHER);
/// assert_eq!(res.header(header::LOCATION).unwrap(), "/login");
/// ```
#[derive(Debug, Clone)]
pub struct Redirect {
    status: StatusCode,
    location: String,
}

impl Redirect {
    /// `303 See Other`: the client fetches `uri` with GET.
    pub fn to(uri: impl Into<String>) -> Self {
        Redirect {
            status: StatusCode::SEE_OTHER,
            location: uri.into(),
        }
    }

    /// `307 Temporary Redirect`: the client repeats the same method at `uri`.
    pub fn temporary(uri: impl Into<String>) -> Self {
        Redirect {
            status: StatusCode::TEMPORARY_REDIRECT,
            location: uri.into(),
        }
    }

    /// `308 Permanent Redirect`.
    pub fn permanent(uri: impl Into<String>) -> Self {
        Redirect {
            status: StatusCode::PERMANENT_REDIRECT,
            location: uri.into(),
        }
    }
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        let mut res = Response::new(self.status);
        match HeaderValue::try_from(self.location) {
            Ok(v) => res.append_header(header::LOCATION, v),
            // A location with CR/LF would split the response: refuse it loudly instead.
            Err(_) => {
                return Response::text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "redirect target is not a valid header value",
                )
            }
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_arrays_replace_the_content_type_and_add_fields() {
        let res = ([(header::CONTENT_TYPE, "text/plain")], "hi").into_response();
        assert_eq!(res.content_type().unwrap(), "text/plain");
        assert_eq!(res.headers().count(), 1);

        let res = (
            StatusCode::ACCEPTED,
            [
                (header::CACHE_CONTROL, "no-cache"),
                (header::CACHE_CONTROL, "no-store"),
                (header::VARY, "accept"),
            ],
            Html("<p>x</p>"),
        )
            .into_response();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        // A name given twice keeps the later value, as `insert_header` does.
        assert_eq!(res.header("cache-control").unwrap(), "no-store");
        assert_eq!(res.header("vary").unwrap(), "accept");
        assert_eq!(res.content_type().unwrap(), "text/html; charset=utf-8");
        assert_eq!(res.headers().count(), 3);
    }

    #[test]
    fn header_values_of_every_kind() {
        // Visible ASCII, space and tab.
        assert_eq!("a b\tc".into_header_value().unwrap(), "a b\tc");
        // obs-text (bytes >= 0x80) is a valid field value.
        assert_eq!(
            "café".into_header_value().unwrap().as_bytes(),
            "café".as_bytes()
        );
        assert_eq!(
            String::from("x").into_header_value().unwrap(),
            HeaderValue::from_static("x")
        );
        for bad in ["a\r\nb", "a\nb", "a\0b", "\x7f"] {
            assert!(bad.into_header_value().is_err(), "{bad:?}");
            assert!(String::from(bad).into_header_value().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_invalid_header_value_is_a_500_without_the_field() {
        let res = ([(header::LOCATION, "/a\r\nset-cookie: x=1")], "body").into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(res.header("location").is_none());
        assert!(res.header("set-cookie").is_none());
        let res = (
            StatusCode::CREATED,
            [(header::LOCATION, String::from("\n"))],
            "body",
        )
            .into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
