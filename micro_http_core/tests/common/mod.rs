//! Shared by the protocol tests: a test app on 127.0.0.1:0 with short timeouts, and a raw-socket client that
//! parses responses strictly.
#![allow(dead_code)]

mod client;
pub use client::*;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use micro_http_core::response::BodyStream;
use micro_http_core::{App, Body, Limits, Method, Request, Response, ShutdownHandle, StatusCode};
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

// ---- Hostile clients and load (tests/hostile.rs, tests/shutdown_under_load.rs) ----

/// Size of one chunk of the `/big` response.
pub const BIG_CHUNK: usize = 64 * 1024;
/// Chunks in the `/big` response: 64 MiB in all.
pub const BIG_CHUNKS: usize = 1024;

/// How many chunks the `/big` route's streams have produced, so a test can see how far the server pulled them.
#[derive(Clone, Default)]
pub struct BigPulls(pub std::sync::Arc<std::sync::atomic::AtomicUsize>);

/// `test_app()` plus the routes the hostile-client and load tests need: `/big` (64 MiB streamed in 64 KiB
/// chunks made on the fly, counted in `pulls`), `/smuggled` (recognisable if a smuggled request is ever
/// answered) and `/sleep/{ms}`. Set its limits with `.with_limits`.
pub fn hostile_app(pulls: BigPulls) -> App {
    test_app()
        .route(Method::GET, "/big", |req: Request| async move {
            let pulls = req.state::<BigPulls>().expect("state").0.clone();
            let stream: BodyStream = Box::pin(BigBody {
                left: BIG_CHUNKS,
                pulls,
            });
            Response::new(StatusCode::OK).with_stream(stream, Some((BIG_CHUNK * BIG_CHUNKS) as u64))
        })
        .route(Method::GET, "/smuggled", |_req: Request| async {
            "smuggled"
        })
        .route(Method::GET, "/sleep/{ms}", |req: Request| async move {
            let ms = req.param("ms").and_then(|v| v.parse().ok()).unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            "slept"
        })
        .state(pulls)
}

/// The `/big` body: each chunk is allocated when the server asks for it, so what the server buffers is visible.
struct BigBody {
    left: usize,
    pulls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl futures_core::Stream for BigBody {
    type Item = std::io::Result<Bytes>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        self.left -= 1;
        self.pulls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::task::Poll::Ready(Some(Ok(Bytes::from(vec![b'x'; BIG_CHUNK]))))
    }
}

/// Raises the soft limit on open files to at least `needed`; `false` if the hard limit does not allow it.
pub fn raise_fd_limit(needed: u64) -> bool {
    rlimit::increase_nofile_limit(needed).is_ok_and(|got| got >= needed)
}

/// The process's resident set size in KiB (`VmRSS` of `/proc/self/status`).
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// A small seeded PRNG (xorshift64*), so a failing run can be replayed from its seed.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-enough in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Why [`FallibleClient::read`] returned no complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The server closed the connection (EOF) before any byte of a response: a clean end at a response boundary.
    Closed,
    /// The connection was reset before any byte of a response: at a boundary, but not a clean close (a reset
    /// can destroy a response still in flight, RFC 9112 §9.6).
    Reset,
    /// The connection ended after `got` bytes of a response: the response was cut.
    Cut { got: usize },
    /// Nothing complete arrived within the time limit.
    Timeout { got: usize },
    /// Bytes that are not a well-formed HTTP/1.1 response.
    Malformed(String),
}

/// A raw client like [`Client`], with the same strict response parsing, that reports a cut, malformed or late
/// response as an error instead of panicking, for tests that count outcomes under load.
pub struct FallibleClient {
    pub stream: tokio::net::TcpStream,
    buf: Vec<u8>,
    limit: Duration,
}

impl FallibleClient {
    /// Connects within `limit`, which also bounds every later read and write.
    pub async fn connect(addr: SocketAddr, limit: Duration) -> std::io::Result<FallibleClient> {
        let stream = tokio::time::timeout(limit, tokio::net::TcpStream::connect(addr))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        stream.set_nodelay(true)?;
        Ok(FallibleClient {
            stream,
            buf: Vec::new(),
            limit,
        })
    }

    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        tokio::time::timeout(self.limit, self.stream.write_all(bytes.as_ref()))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
    }

    /// Reads one response; `head_only` for responses to HEAD.
    pub async fn read(&mut self, head_only: bool) -> Result<Resp, ReadError> {
        use tokio::io::AsyncReadExt;
        let deadline = tokio::time::Instant::now() + self.limit;
        loop {
            match parse_response(&self.buf, head_only) {
                Ok(Some((resp, used))) => {
                    self.buf.drain(..used);
                    return Ok(resp);
                }
                Ok(None) => {}
                Err(e) => return Err(ReadError::Malformed(e)),
            }
            let mut tmp = [0u8; 16 * 1024];
            let got = self.buf.len();
            match tokio::time::timeout_at(deadline, self.stream.read(&mut tmp)).await {
                Err(_) => return Err(ReadError::Timeout { got }),
                Ok(Ok(n)) if n > 0 => self.buf.extend_from_slice(&tmp[..n]),
                Ok(Err(_)) if got == 0 => return Err(ReadError::Reset),
                Ok(Err(_)) => return Err(ReadError::Cut { got }),
                // EOF: a body delimited by the close ends here; anything else was cut.
                Ok(Ok(_)) => {
                    return match until_close(&self.buf, head_only) {
                        Some(resp) => {
                            self.buf.clear();
                            Ok(resp)
                        }
                        None if got == 0 => Err(ReadError::Closed),
                        None => Err(ReadError::Cut { got }),
                    }
                }
            }
        }
    }
}

/// A response whose body runs to the end of the connection, if `buf` holds the head of one.
fn until_close(buf: &[u8], head_only: bool) -> Option<Resp> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let mut resp = parse_head(&buf[..end]).ok()?;
    let delimited = resp.header("content-length").is_some()
        || resp.header("transfer-encoding").is_some()
        || head_only
        || resp.status < 200
        || resp.status == 204
        || resp.status == 304;
    if delimited {
        return None;
    }
    resp.body = buf[end..].to_vec();
    Some(resp)
}

/// One complete response at the front of `buf` and the bytes it used; `Ok(None)` if more is needed.
fn parse_response(buf: &[u8], head_only: bool) -> Result<Option<(Resp, usize)>, String> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4) else {
        return Ok(None);
    };
    let mut resp = parse_head(&buf[..end])?;
    if head_only || resp.status < 200 || resp.status == 204 || resp.status == 304 {
        return Ok(Some((resp, end)));
    }
    if let Some(len) = resp.header("content-length") {
        if resp.header("transfer-encoding").is_some() {
            return Err("both Content-Length and Transfer-Encoding".into());
        }
        let len: usize = len
            .parse()
            .map_err(|_| format!("bad Content-Length {len:?}"))?;
        if buf.len() < end + len {
            return Ok(None);
        }
        resp.body = buf[end..end + len].to_vec();
        return Ok(Some((resp, end + len)));
    }
    match resp.header("transfer-encoding") {
        Some("chunked") => {}
        Some(other) => return Err(format!("unexpected Transfer-Encoding {other:?}")),
        // Delimited by the close: complete only at EOF (see `until_close`).
        None => return Ok(None),
    }
    let mut at = end;
    loop {
        let Some(line) = buf[at..].windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let size = std::str::from_utf8(&buf[at..at + line])
            .ok()
            .and_then(|s| usize::from_str_radix(s, 16).ok())
            .ok_or_else(|| format!("bad chunk size line {:?}", &buf[at..at + line]))?;
        let data = at + line + 2;
        if buf.len() < data + size + 2 {
            return Ok(None);
        }
        if &buf[data + size..data + size + 2] != b"\r\n" {
            return Err("chunk data not followed by CRLF".into());
        }
        resp.body.extend_from_slice(&buf[data..data + size]);
        at = data + size + 2;
        if size == 0 {
            return Ok(Some((resp, at)));
        }
    }
}

/// The status line and header fields, checked as strictly as [`Client`] checks them.
fn parse_head(head: &[u8]) -> Result<Resp, String> {
    let head = std::str::from_utf8(head).map_err(|_| "response head is not UTF-8".to_string())?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (n, v) = line
            .split_once(':')
            .ok_or_else(|| format!("header line without a colon {line:?}"))?;
        if n.is_empty() || n.contains(' ') {
            return Err(format!("bad header name {n:?}"));
        }
        headers.push((n.to_string(), v.trim().to_string()));
    }
    Ok(Resp {
        status,
        headers,
        body: Vec::new(),
    })
}
