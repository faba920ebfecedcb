//! Shared by the protocol tests: a test app on 127.0.0.1:0 with short timeouts, and a raw-socket client that
//! parses responses strictly.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use micro_http_core::response::BodyStream;
use micro_http_core::{App, Body, Limits, Method, Request, Response, ShutdownHandle, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// Limits short enough for tests to hit every timeout quickly.
pub fn test_limits() -> Limits {
    Limits {
        head_timeout: Duration::from_millis(500),
        idle_timeout: Duration::from_millis(1500),
        body_timeout: Duration::from_millis(500),
        write_timeout: Duration::from_secs(2),
        shutdown_grace: Duration::from_secs(5),
        max_head_bytes: 8 * 1024,
        max_headers: 20,
        max_header_line_bytes: 2 * 1024,
        max_target_bytes: 1024,
        max_body_bytes: 64 * 1024,
        ..Limits::default()
    }
}

async fn echo(mut req: Request) -> Response {
    match req.take_body().bytes().await {
        Ok(b) => Response::with_content(
            micro_http_core::HeaderValue::from_static("application/octet-stream"),
            b,
        ),
        Err(e) => Response::text(e.status(), e.to_string()),
    }
}

pub fn test_app() -> App {
    App::new()
        .route(Method::GET, "/plaintext", |_req: Request| async {
            "Hello, World!"
        })
        .route(Method::POST, "/echo", echo)
        .route_with_limit(Method::POST, "/small", Some(16), echo)
        .route(Method::POST, "/ignore", |_req: Request| async { "ignored" })
        .route(Method::GET, "/panic", |_req: Request| async {
            if true {
                panic!("boom");
            }
            "unreachable"
        })
        .route(Method::GET, "/slow", |_req: Request| async {
            tokio::time::sleep(Duration::from_millis(700)).await;
            "slow done"
        })
        .route(Method::GET, "/users/{id}", |req: Request| async move {
            format!("user {}", req.param("id").unwrap_or("?"))
        })
        .route(Method::PUT, "/users/{id}", |_req: Request| async { "put" })
        .route(Method::GET, "/n/{n}", |req: Request| async move {
            req.param("n").unwrap_or("?").to_string()
        })
        .route(Method::GET, "/stream", |_req: Request| async {
            let chunks: Vec<std::io::Result<Bytes>> = vec![
                Ok(Bytes::from_static(b"hello ")),
                Ok(Bytes::from_static(b"streamed ")),
                Ok(Bytes::from_static(b"world")),
            ];
            let stream: BodyStream = Box::pin(Iter(chunks.into_iter()));
            Response::new(StatusCode::OK).with_stream(stream, None)
        })
        .route(Method::POST, "/body-len", |mut req: Request| async move {
            let body: Body = req.take_body();
            format!("{}", body.bytes().await.map(|b| b.len()).unwrap_or(0))
        })
        .limits(test_limits())
}

/// A stream over an iterator, without pulling in a futures crate.
struct Iter<I>(I);

impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
    type Item = I::Item;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<I::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub handle: ShutdownHandle,
    pub task: JoinHandle<std::io::Result<()>>,
}

pub async fn start(app: App) -> TestServer {
    let server = app.bind("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr();
    let handle = server.shutdown_handle();
    let task = tokio::spawn(server.run_until(std::future::pending()));
    TestServer { addr, handle, task }
}

pub async fn start_default() -> TestServer {
    start(test_app()).await
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A raw client connection with a read buffer.
pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

const IO_LIMIT: Duration = Duration::from_secs(5);

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).await.expect("write");
    }

    async fn fill(&mut self) -> usize {
        let mut tmp = [0u8; 16 * 1024];
        let n = tokio::time::timeout(IO_LIMIT, self.stream.read(&mut tmp))
            .await
            .expect("server did not answer in time")
            .unwrap_or(0);
        self.buf.extend_from_slice(&tmp[..n]);
        n
    }

    /// Reads one response; `head_only` for responses to HEAD.
    pub async fn read_response(&mut self, head_only: bool) -> Resp {
        self.try_read_response(head_only)
            .await
            .expect("connection closed before a response")
    }

    pub async fn try_read_response(&mut self, head_only: bool) -> Option<Resp> {
        let end = loop {
            if let Some(p) = find(&self.buf, b"\r\n\r\n") {
                break p + 4;
            }
            if self.fill().await == 0 {
                return None;
            }
        };
        let head = String::from_utf8(self.buf[..end].to_vec()).expect("response head is UTF-8");
        self.buf.drain(..end);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        assert!(
            status_line.starts_with("HTTP/1.1 "),
            "bad status line {status_line:?}"
        );
        let status: u16 = status_line[9..12].parse().unwrap();
        let mut headers = Vec::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let (n, v) = line.split_once(':').expect("header line has a colon");
            assert!(!n.contains(' '), "space in header name {n:?}");
            headers.push((n.to_string(), v.trim().to_string()));
        }
        let mut resp = Resp {
            status,
            headers,
            body: Vec::new(),
        };
        if head_only || status < 200 || status == 204 || status == 304 {
            return Some(resp);
        }
        if let Some(len) = resp.header("content-length") {
            assert!(
                resp.header("transfer-encoding").is_none(),
                "both CL and TE in a response"
            );
            let len: usize = len.parse().unwrap();
            while self.buf.len() < len {
                assert!(self.fill().await > 0, "closed mid-body");
            }
            resp.body = self.buf.drain(..len).collect();
        } else if resp.header("transfer-encoding") == Some("chunked") {
            loop {
                let line_end = loop {
                    if let Some(p) = find(&self.buf, b"\r\n") {
                        break p;
                    }
                    assert!(self.fill().await > 0, "closed mid-chunk");
                };
                let size =
                    usize::from_str_radix(std::str::from_utf8(&self.buf[..line_end]).unwrap(), 16)
                        .unwrap();
                self.buf.drain(..line_end + 2);
                while self.buf.len() < size + 2 {
                    assert!(self.fill().await > 0, "closed mid-chunk");
                }
                resp.body.extend(self.buf.drain(..size));
                assert_eq!(&self.buf[..2], b"\r\n");
                self.buf.drain(..2);
                if size == 0 {
                    break;
                }
            }
        } else {
            while self.fill().await > 0 {}
            resp.body = std::mem::take(&mut self.buf);
        }
        Some(resp)
    }

    /// `true` if the server closed the connection (EOF within the time limit, with nothing more sent).
    pub async fn is_closed(&mut self) -> bool {
        let mut tmp = [0u8; 1024];
        match tokio::time::timeout(IO_LIMIT, self.stream.read(&mut tmp)).await {
            Ok(Ok(0)) | Ok(Err(_)) => true,
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&tmp[..n]);
                false
            }
            Err(_) => false,
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Sends `raw` on a new connection and reads one response.
pub async fn exchange(addr: SocketAddr, raw: impl AsRef<[u8]>) -> Resp {
    let mut c = Client::connect(addr).await;
    c.send(raw).await;
    c.read_response(false).await
}

pub fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
}
