//! [`Request`]: what a handler receives.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use http::Method;

use crate::body::Body;
use crate::headers::{Headers, Span};
use crate::parse::{BodyFraming, RequestHead, Version};

/// Values handed to [`App::state`](crate::App::state), looked up by type.
#[derive(Default)]
pub(crate) struct StateMap(HashMap<TypeId, Box<dyn Any + Send + Sync>>);

impl StateMap {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.0.insert(TypeId::of::<T>(), Box::new(value));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn get<T: 'static>(&self) -> Option<&T> {
        self.0
            .get(&TypeId::of::<T>())
            .and_then(|b| b.downcast_ref())
    }
}

/// A path parameter captured by the router.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub(crate) name: Arc<str>,
    /// The value percent-decoded, when decoding changed it; else the value is the raw range of the path.
    pub(crate) decoded: Option<Box<str>>,
    /// Where it is in [`Request::path`], still encoded.
    pub(crate) raw: (usize, usize),
}

impl Param {
    /// The value as sent, from `path`, the path it was captured from.
    fn raw<'a>(&self, path: &'a str) -> Option<&'a str> {
        path.get(self.raw.0..self.raw.1)
    }

    /// The percent-decoded value, from `path`, the path it was captured from.
    fn value<'a>(&'a self, path: &'a str) -> &'a str {
        match &self.decoded {
            Some(v) => v,
            None => self.raw(path).unwrap_or(""),
        }
    }
}

/// Path parameters captured by the router, in path order.
pub(crate) type Params = Vec<Param>;

/// An HTTP request: method, target, header fields, peer address, path parameters and body.
///
/// The path and header fields are read in place from the bytes received: looking at them allocates nothing.
///
/// ```
/// # use micro_http_core::test::request;
/// let req = request("GET /search?q=rust HTTP/1.1\r\nHost: example.com\r\n\r\n");
/// assert_eq!(req.method(), micro_http_core::Method::GET);
/// assert_eq!(req.path(), "/search");
/// assert_eq!(req.query(), Some("q=rust"));
/// assert_eq!(req.header("host"), Some("example.com"));
/// ```
pub struct Request {
    method: Method,
    version: Version,
    headers: Headers,
    path: Option<Span>,
    query: Option<Span>,
    asterisk: bool,
    framing: BodyFraming,
    params: Params,
    peer: Option<SocketAddr>,
    body: Body,
    body_limit: u64,
    state: Option<Arc<StateMap>>,
}

impl Request {
    pub(crate) fn from_head(head: RequestHead, peer: Option<SocketAddr>) -> Request {
        Request {
            method: head.method,
            version: head.version,
            headers: head.headers,
            path: head.path,
            query: head.query,
            asterisk: head.asterisk,
            framing: head.framing,
            params: Vec::new(),
            peer,
            body: Body::empty(),
            body_limit: u64::MAX,
            state: None,
        }
    }

    /// Moves the request out, leaving an empty `GET /` in its place.
    pub(crate) fn take(&mut self) -> Request {
        let placeholder = Request {
            method: Method::GET,
            version: self.version,
            headers: Headers::default(),
            path: None,
            query: None,
            asterisk: false,
            framing: BodyFraming::None,
            params: Vec::new(),
            peer: self.peer,
            body: Body::taken(),
            body_limit: self.body_limit,
            state: self.state.clone(),
        };
        std::mem::replace(self, placeholder)
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method.clone()
    }

    /// The method, borrowed.
    pub fn method_ref(&self) -> &Method {
        &self.method
    }

    /// The protocol version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The path as sent (still percent-encoded), without the query; `*` for `OPTIONS *`.
    pub fn path(&self) -> &str {
        // The parser admits only visible ASCII in the target, so this is always valid UTF-8.
        std::str::from_utf8(self.path_bytes()).unwrap_or("/")
    }

    /// The bytes of [`path`](Self::path), without the UTF-8 check.
    pub(crate) fn path_bytes(&self) -> &[u8] {
        match self.path {
            Some(span) => span.get(self.headers.buf()),
            None if self.asterisk => b"*",
            None => b"/",
        }
    }

    /// The query string without the `?`, as sent.
    pub fn query(&self) -> Option<&str> {
        self.query
            .and_then(|span| std::str::from_utf8(span.get(self.headers.buf())).ok())
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The first value of header `name` (case-insensitive), if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The path parameter `name` (e.g. `id` for `/users/{id}`), percent-decoded.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.find_param(name).map(|p| p.value(self.path()))
    }

    /// Every path parameter as `(name, value)`, in path order.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        let path = self.path();
        self.params.iter().map(move |p| (&*p.name, p.value(path)))
    }

    /// The path parameter `name` as sent, still percent-encoded (for code that must decode exactly once
    /// itself, like the static file service).
    pub fn raw_param(&self, name: &str) -> Option<&str> {
        self.find_param(name)?.raw(self.path())
    }

    fn find_param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| &*p.name == name)
    }

    /// The last path parameter as sent (the catch-all of `/static/{*path}`), still percent-encoded, if it
    /// ends the path.
    pub(crate) fn last_raw_param(&self) -> Option<&str> {
        let p = self.params.last()?;
        let path = self.path();
        (p.raw.1 == path.len()).then(|| p.raw(path)).flatten()
    }

    /// For each parameter, whether its value was decoded into a copy (else it is read from the path).
    #[cfg(test)]
    pub(crate) fn params_decoded(&self) -> Vec<bool> {
        self.params.iter().map(|p| p.decoded.is_some()).collect()
    }

    pub(crate) fn set_params(&mut self, params: Params) {
        self.params = params;
    }

    /// The client's address (`None` for requests made by the in-process test client).
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// The body.
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// Takes the body out; a second take gets a body that fails with [`BodyError::AlreadyTaken`](crate::BodyError).
    pub fn take_body(&mut self) -> Body {
        std::mem::replace(&mut self.body, Body::taken())
    }

    pub(crate) fn set_body(&mut self, body: Body) {
        self.body = body;
    }

    /// How the body is framed on the wire.
    pub fn body_framing(&self) -> BodyFraming {
        self.framing
    }

    /// The most body bytes this request's route accepts.
    pub fn body_limit(&self) -> u64 {
        self.body_limit
    }

    pub(crate) fn set_body_limit(&mut self, limit: u64) {
        self.body_limit = limit;
    }

    /// The application state of type `T` given to [`App::state`](crate::App::state).
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.state.as_ref()?.get::<T>()
    }

    pub(crate) fn set_state(&mut self, state: Arc<StateMap>) {
        self.state = Some(state);
    }

    /// `true` if the client prefers JSON: an `Accept` that names `application/json` (or `+json`) and not
    /// `text/html`.
    pub fn accepts_json(&self) -> bool {
        let Some(accept) = self.headers.get("accept") else {
            return false;
        };
        (accept.contains("json")) && !accept.contains("text/html")
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path())
            .field("query", &self.query())
            .field("version", &self.version)
            .field("headers", &self.headers)
            .field("params", &self.params)
            .field("peer", &self.peer)
            .field("body", &self.body)
            .finish()
    }
}
