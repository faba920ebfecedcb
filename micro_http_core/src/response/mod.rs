//! Responses: the [`Response`] type, its body, and the [`IntoResponse`] conversions handlers return through.

mod encode;
mod head_cache;
mod into_response;

pub(crate) use encode::{encode_head, ConnectionField, Framing, HeadPrefix};
pub(crate) use head_cache::encode_head_cached;
pub use into_response::{Html, IntoHeaderValue, IntoResponse, Redirect};

use std::fmt;
use std::io;
use std::pin::Pin;

use bytes::Bytes;
use futures_core::Stream;
use http::{header, HeaderName, HeaderValue, StatusCode};

/// A stream of body chunks, for bodies produced piece by piece (large files, server-sent data).
pub type BodyStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + 'static>>;

/// The body of a [`Response`].
pub enum ResponseBody {
    /// No body (`Content-Length: 0`).
    Empty,
    /// A body held in memory.
    Full(Bytes),
    /// A body produced as a stream. With `len` known it is sent with `Content-Length`, otherwise chunked
    /// (or delimited by closing the connection for HTTP/1.0 clients).
    Stream {
        /// The chunks.
        stream: BodyStream,
        /// The exact total length, when known in advance.
        len: Option<u64>,
    },
}

impl ResponseBody {
    /// The body's length in bytes, when known without reading it.
    pub fn len(&self) -> Option<u64> {
        match self {
            ResponseBody::Empty => Some(0),
            ResponseBody::Full(b) => Some(b.len() as u64),
            ResponseBody::Stream { len, .. } => *len,
        }
    }

    /// `true` for a body known to be empty.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseBody::Empty => f.write_str("Empty"),
            ResponseBody::Full(b) => f.debug_tuple("Full").field(b).finish(),
            ResponseBody::Stream { len, .. } => f.debug_struct("Stream").field("len", len).finish(),
        }
    }
}

/// An HTTP response: a status, header fields and a body.
///
/// The server adds the framing headers itself (`Date`, `Content-Length` or `Transfer-Encoding`,
/// `Connection`); a `Content-Length`, `Transfer-Encoding` or `Date` set here is ignored.
///
/// ```
/// use micro_http_core::{header, Response, StatusCode};
///
/// let res = Response::new(StatusCode::CREATED)
///     .with_header(header::LOCATION, "/users/7")
///     .with_body("created");
/// assert_eq!(res.status(), StatusCode::CREATED);
/// assert_eq!(res.header(header::LOCATION).unwrap(), "/users/7");
/// ```
#[derive(Debug)]
pub struct Response {
    status: StatusCode,
    // Kept apart from `headers` so the common response (one content type) needs no allocation.
    content_type: Option<HeaderValue>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: ResponseBody,
}

impl Default for Response {
    fn default() -> Self {
        Response::new(StatusCode::OK)
    }
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: StatusCode) -> Self {
        Response {
            status,
            content_type: None,
            headers: Vec::new(),
            body: ResponseBody::Empty,
        }
    }

    /// A 200 response with `body` and a `Content-Type`.
    pub fn with_content(content_type: HeaderValue, body: impl Into<Bytes>) -> Self {
        Response {
            status: StatusCode::OK,
            content_type: Some(content_type),
            headers: Vec::new(),
            body: ResponseBody::Full(body.into()),
        }
    }

    /// A short `text/plain` response with `status`, used for errors: the body says what was wrong.
    pub fn text(status: StatusCode, message: impl Into<Bytes>) -> Self {
        Response::new(status)
            .with_content_type(HeaderValue::from_static("text/plain; charset=utf-8"))
            .with_body(message)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Replaces the status.
    pub fn set_status(&mut self, status: StatusCode) {
        self.status = status;
    }

    /// Builder form of [`set_status`](Self::set_status).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The `Content-Type`, if set.
    pub fn content_type(&self) -> Option<&HeaderValue> {
        self.content_type.as_ref()
    }

    /// Sets the `Content-Type`.
    pub fn with_content_type(mut self, value: HeaderValue) -> Self {
        self.content_type = Some(value);
        self
    }

    /// The first value of header `name`.
    pub fn header(&self, name: impl AsRef<str>) -> Option<&HeaderValue> {
        let name = name.as_ref();
        if name.eq_ignore_ascii_case(header::CONTENT_TYPE.as_str()) {
            return self.content_type.as_ref();
        }
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// `true` if the first `Connection` field the handler set is `close` (the connection ends after this response).
    /// Without fields beyond the content type, as most responses are, it looks at nothing.
    pub(crate) fn asks_to_close(&self) -> bool {
        self.headers
            .iter()
            .find(|(n, _)| n == header::CONNECTION)
            .is_some_and(|(_, v)| v.as_bytes().eq_ignore_ascii_case(b"close"))
    }

    /// Every header field, `Content-Type` first.
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.content_type
            .as_ref()
            .map(|v| (&header::CONTENT_TYPE, v))
            .into_iter()
            .chain(self.headers.iter().map(|(n, v)| (n, v)))
    }

    /// Sets header `name` to `value`, replacing earlier values.
    ///
    /// `value` may be anything convertible to a [`HeaderValue`]; a value that is not a valid field value
    /// (CR, LF or NUL in it) is refused with an error, so a response can never be split.
    pub fn insert_header<V>(&mut self, name: HeaderName, value: V) -> Result<(), http::Error>
    where
        HeaderValue: TryFrom<V>,
        <HeaderValue as TryFrom<V>>::Error: Into<http::Error>,
    {
        let value = HeaderValue::try_from(value).map_err(Into::into)?;
        if name == header::CONTENT_TYPE {
            self.content_type = Some(value);
        } else {
            self.headers.retain(|(n, _)| *n != name);
            self.headers.push((name, value));
        }
        Ok(())
    }

    /// Adds a value for header `name`, keeping earlier ones (for `Set-Cookie`, `Vary`, ...).
    pub fn append_header(&mut self, name: HeaderName, value: HeaderValue) {
        if name == header::CONTENT_TYPE {
            self.content_type = Some(value);
        } else {
            self.headers.push((name, value));
        }
    }

    /// Removes every value of header `name`.
    pub fn remove_header(&mut self, name: &HeaderName) {
        if *name == header::CONTENT_TYPE {
            self.content_type = None;
        } else {
            self.headers.retain(|(n, _)| n != name);
        }
    }

    /// Builder form of [`insert_header`](Self::insert_header).
    ///
    /// # Panics
    /// If `value` is not a valid header value (contains CR, LF or NUL). Inside a handler the panic becomes a
    /// 500 response; use [`insert_header`](Self::insert_header) to handle the error yourself.
    pub fn with_header<V>(mut self, name: HeaderName, value: V) -> Self
    where
        HeaderValue: TryFrom<V>,
        <HeaderValue as TryFrom<V>>::Error: Into<http::Error>,
    {
        if let Err(e) = self.insert_header(name, value) {
            panic!("invalid header value: {e}");
        }
        self
    }

    /// The body.
    pub fn body(&self) -> &ResponseBody {
        &self.body
    }

    /// Takes the body out, leaving it empty.
    pub fn take_body(&mut self) -> ResponseBody {
        std::mem::replace(&mut self.body, ResponseBody::Empty)
    }

    /// Replaces the body with bytes held in memory.
    pub fn set_body(&mut self, body: impl Into<Bytes>) {
        let body = body.into();
        self.body = if body.is_empty() {
            ResponseBody::Empty
        } else {
            ResponseBody::Full(body)
        };
    }

    /// Builder form of [`set_body`](Self::set_body).
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.set_body(body);
        self
    }

    /// Replaces the body with a stream; `len` is its exact length when known.
    pub fn with_stream(mut self, stream: BodyStream, len: Option<u64>) -> Self {
        self.body = ResponseBody::Stream { stream, len };
        self
    }
}
