//! The in-process test client: drives a whole app through the same router, extractors and error handling as
//! the network path, without a socket.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{HeaderName, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::app::{App, Resolved, Service};
use crate::body::Body;
use crate::parse::{BodyFraming, HeadParser};
use crate::request::Request;
use crate::response::{IntoResponse, Response, ResponseBody};

/// Parses a raw request (head and any body) into a [`Request`], as the server would. For tests and docs.
///
/// # Panics
/// If `raw` is not a complete, valid request.
pub fn request(raw: &str) -> Request {
    let mut buf = BytesMut::from(raw.as_bytes());
    let head = HeadParser::default()
        .parse(&mut buf, &crate::Limits::default())
        .unwrap_or_else(|e| panic!("invalid request: {e}"))
        .expect("incomplete request head");
    let mut req = Request::from_head(head, Some(test_peer()));
    req.set_body(Body::from_bytes(buf.freeze()));
    req
}

fn test_peer() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Drives an [`App`] in-process.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use micro_http_core::{test::TestClient, App, Method, Request};
///
/// let app = App::new().route(Method::GET, "/hi/{name}", |req: Request| async move {
///     format!("hi {}", req.param("name").unwrap())
/// });
/// let client = TestClient::new(app);
/// let res = client.get("/hi/bob").send().await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.text(), "hi bob");
/// # });
/// ```
#[derive(Clone)]
pub struct TestClient {
    service: Arc<Service>,
}

impl TestClient {
    /// A client for `app`.
    ///
    /// # Panics
    /// If the app does not build (conflicting routes, invalid patterns): the message says why.
    pub fn new(app: App) -> Self {
        let service = app
            .build()
            .unwrap_or_else(|e| panic!("the app does not build: {e}"));
        TestClient { service }
    }

    /// A client for every route attribute in the program (`App::from_routes()`).
    pub fn from_routes() -> Self {
        TestClient::new(App::from_routes())
    }

    /// A request with `method` to `target` (path and query).
    pub fn request(&self, method: Method, target: &str) -> TestRequest {
        TestRequest {
            service: self.service.clone(),
            method,
            target: target.to_string(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// A GET request.
    pub fn get(&self, target: &str) -> TestRequest {
        self.request(Method::GET, target)
    }

    /// A HEAD request.
    pub fn head(&self, target: &str) -> TestRequest {
        self.request(Method::HEAD, target)
    }

    /// A POST request.
    pub fn post(&self, target: &str) -> TestRequest {
        self.request(Method::POST, target)
    }

    /// A PUT request.
    pub fn put(&self, target: &str) -> TestRequest {
        self.request(Method::PUT, target)
    }

    /// A PATCH request.
    pub fn patch(&self, target: &str) -> TestRequest {
        self.request(Method::PATCH, target)
    }

    /// A DELETE request.
    pub fn delete(&self, target: &str) -> TestRequest {
        self.request(Method::DELETE, target)
    }

    /// An OPTIONS request.
    pub fn options(&self, target: &str) -> TestRequest {
        self.request(Method::OPTIONS, target)
    }
}

/// A request being built by a [`TestClient`].
pub struct TestRequest {
    service: Arc<Service>,
    method: Method,
    target: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl TestRequest {
    /// Adds a header field.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_json::to_vec(value).expect("serializable test value");
        self.header("content-type", "application/json").body(body)
    }

    /// Sets a urlencoded form body and its `Content-Type`.
    pub fn form<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_urlencoded::to_string(value).expect("serializable form");
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }

    /// Sends the request through the app and collects the response.
    ///
    /// # Panics
    /// If the method, target or a header is not valid on the wire (the test is wrong, not the app).
    pub async fn send(self) -> TestResponse {
        // The request is written out and parsed back exactly as the server parses a socket's bytes.
        let mut raw = format!("{} {} HTTP/1.1\r\nhost: test\r\n", self.method, self.target);
        for (n, v) in &self.headers {
            raw.push_str(&format!("{n}: {v}\r\n"));
        }
        if !self.body.is_empty() {
            raw.push_str(&format!("content-length: {}\r\n", self.body.len()));
        }
        raw.push_str("\r\n");
        let mut buf = BytesMut::from(raw.as_bytes());
        let head = match HeadParser::default().parse(&mut buf, &self.service.limits) {
            Ok(Some(head)) => head,
            Ok(None) => panic!("test request head incomplete: {raw:?}"),
            Err(e) => return TestResponse::from_response(e.to_response(), false).await,
        };
        let is_head = head.method == Method::HEAD;
        let mut req = Request::from_head(head, Some(test_peer()));
        let resolved = self.service.resolve(&mut req);
        if let (BodyFraming::Length(n), Resolved::Route(_) | Resolved::NotFound) =
            (req.body_framing(), &resolved)
        {
            if n > req.body_limit() {
                let res = crate::error::HttpError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "request body of {n} bytes exceeds the limit of {} bytes",
                        req.body_limit()
                    ),
                )
                .to_response();
                return TestResponse::from_response(res, is_head).await;
            }
        }
        req.set_body(Body::from_bytes(self.body));
        let res = self.service.call(resolved, &mut req).await;
        TestResponse::from_response(res, is_head).await
    }
}

/// A response collected by the [`TestClient`].
#[derive(Debug)]
pub struct TestResponse {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl TestResponse {
    async fn from_response(mut res: Response, is_head: bool) -> TestResponse {
        let headers = res.headers().map(|(n, v)| (n.clone(), v.clone())).collect();
        let body = match res.take_body() {
            _ if is_head => Bytes::new(),
            ResponseBody::Empty => Bytes::new(),
            ResponseBody::Full(b) => b,
            ResponseBody::Stream { mut stream, .. } => {
                let mut all = BytesMut::new();
                while let Some(chunk) =
                    std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await
                {
                    all.extend_from_slice(&chunk.expect("response stream failed"));
                }
                all.freeze()
            }
        };
        TestResponse {
            status: res.status(),
            headers,
            body,
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The first value of header `name`, as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.to_str().ok())
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body deserialized from JSON.
    ///
    /// # Panics
    /// If the body is not JSON of type `T` (the message shows the body).
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response is not the expected JSON ({e}): {}", self.text()))
    }
}

impl IntoResponse for TestResponse {
    fn into_response(self) -> Response {
        let mut res = Response::new(self.status).with_body(self.body);
        for (n, v) in self.headers {
            res.append_header(n, v);
        }
        res
    }
}
