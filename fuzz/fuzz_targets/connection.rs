//! The whole connection loop (`serve_stream`) over an in-memory duplex stream, with a small app.
//!
//! Input layout: `[mode] [bytes the client sends ...]`.
//! - `mode == 0`: the client writes everything at once;
//! - otherwise it writes pieces of `(mode & 0x7f) + 1` bytes, and between pieces yields (`mode & 0x80` clear) or
//!   sleeps 5 ms of the paused clock (set), so head, body and idle timeouts (50 ms) can fire mid-stream.
//!
//! Then the client shuts down its write half and reads until EOF. The runtime is current-thread on a paused
//! clock: every timeout fires as soon as nothing else can run, so nothing waits in real time. Checks:
//! - no panic escapes (handler panics are caught and become 500s; the `/panic` route does that);
//! - the server finishes (and closes the stream) within an hour of paused-clock time, i.e. it never hangs
//!   without a timer;
//! - what the client read is a sequence of well-formed HTTP/1.1 responses (see `check_responses`).
#![no_main]

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use micro_http_core::app::Service;
use micro_http_core::response::BodyStream;
use micro_http_core::extract::Multipart;
use micro_http_core::{App, FromRequest, IntoResponse, Method, Request, Response, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The payload of the one panic that is expected (from the `/panic` handler); any other panic is a finding.
const INTENDED_PANIC: &str = "fuzz: intended handler panic";

/// A response body produced in a few pieces, so streamed responses (chunked, or until close for HTTP/1.0) are
/// exercised too.
struct Pieces(VecDeque<Bytes>);

impl futures_core::Stream for Pieces {
    type Item = std::io::Result<Bytes>;
    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.pop_front().map(Ok))
    }
}

fn service() -> Arc<Service> {
    App::new()
        .route(Method::GET, "/plaintext", |_req: Request| async { "Hello, World!" })
        .route_with_limit(Method::POST, "/echo", Some(1024), |mut req: Request| async move {
            match req.take_body().bytes().await {
                Ok(b) => Response::text(StatusCode::OK, b),
                Err(e) => Response::text(e.status(), e.to_string()),
            }
        })
        .route(Method::GET, "/users/{id}", |req: Request| async move {
            format!("user {}", req.param("id").unwrap_or("?"))
        })
        .route(Method::GET, "/panic", |_req: Request| async {
            if true {
                std::panic::panic_any(INTENDED_PANIC);
            }
            "unreachable"
        })
        .route(Method::GET, "/stream", |_req: Request| async {
            let pieces = [&b"hello"[..], b"", b" streamed", b" world"].map(Bytes::from_static);
            let stream: BodyStream = Box::pin(Pieces(pieces.into_iter().collect()));
            Response::new(StatusCode::OK).with_stream(stream, None)
        })
        .route(Method::PUT, "/ignore", |_req: Request| async { StatusCode::NO_CONTENT })
        .route_with_limit(Method::POST, "/upload", Some(2048), |mut req: Request| async move {
            let mut form = match Multipart::from_request(&mut req).await {
                Ok(form) => form,
                Err(e) => return e.into_response(),
            };
            form.field_limit(512);
            let mut report = String::new();
            loop {
                let mut field = match form.next_field().await {
                    Ok(Some(field)) => field,
                    Ok(None) => return Response::text(StatusCode::OK, report),
                    Err(e) => return e.into_response(),
                };
                let mut size = 0;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => size += chunk.len(),
                        Ok(None) => break,
                        Err(e) => return e.into_response(),
                    }
                }
                assert!(size <= 512, "a field got past its limit");
                report.push_str(&format!("{:?} {:?} {size}\n", field.name(), field.file_name()));
            }
        })
        .with_limits(|l| {
            l.max_head_bytes = 2048;
            l.max_headers = 16;
            l.max_header_line_bytes = 512;
            l.max_target_bytes = 512;
            l.max_body_bytes = 4096;
            l.max_chunk_line_bytes = 64;
            l.max_trailer_bytes = 128;
            l.max_drain_bytes = 256;
            l.head_timeout = Duration::from_millis(50);
            l.idle_timeout = Duration::from_millis(50);
            l.body_timeout = Duration::from_millis(50);
            l.write_timeout = Duration::from_millis(1000);
        })
        .build()
        .expect("the fuzz app builds")
}

struct Setup {
    rt: tokio::runtime::Runtime,
    service: Arc<Service>,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        // libFuzzer's hook (installed before the first input) reports and aborts; keep it for every panic
        // but the intended one, which the server catches and answers with 500.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() == Some(&INTENDED_PANIC) {
                return;
            }
            previous(info);
        }));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        Setup { rt, service: service() }
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let setup = setup();
    let out = setup.rt.block_on(async {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (mut rd, mut wr) = tokio::io::split(client);
        let serve = micro_http_core::server::serve_stream(server, setup.service.clone());
        let write = async {
            if mode == 0 {
                let _ = wr.write_all(data).await;
            } else {
                for piece in data.chunks(usize::from(mode & 0x7f) + 1) {
                    if wr.write_all(piece).await.is_err() {
                        break;
                    }
                    if mode & 0x80 != 0 {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    } else {
                        tokio::task::yield_now().await;
                    }
                }
            }
            let _ = wr.shutdown().await;
        };
        let read = async {
            let mut out = Vec::new();
            let r = rd.read_to_end(&mut out).await;
            (r, out)
        };
        let all = async { tokio::join!(serve, write, read) };
        match tokio::time::timeout(Duration::from_secs(3600), all).await {
            Ok(((), (), (r, out))) => {
                r.expect("reading the duplex stream");
                out
            }
            Err(_) => panic!("connection still open after an hour of paused-clock time"),
        }
    });
    if print_output() {
        eprintln!("--- output of {} input bytes:\n{}", data.len(), String::from_utf8_lossy(&out));
    }
    if let Err(e) = check_responses(&out) {
        panic!("malformed server output: {e}\n--- input ({} bytes):\n{:?}\n--- output:\n{:?}", data.len(),
            String::from_utf8_lossy(data), String::from_utf8_lossy(&out));
    }
});

/// `MICRO_HTTP_FUZZ_PRINT=1` prints what the server wrote for each input (for reproducing by hand).
fn print_output() -> bool {
    static PRINT: OnceLock<bool> = OnceLock::new();
    *PRINT.get_or_init(|| std::env::var_os("MICRO_HTTP_FUZZ_PRINT").is_some())
}

/// One parsed response head.
struct Head {
    status: u16,
    len: usize,
    content_length: Option<usize>,
    chunked: bool,
    close: bool,
}

/// Checks that `out` is a sequence of well-formed HTTP/1.1 responses, as this server writes them:
/// - status line `HTTP/1.1 ddd reason\r\n` (100 <= ddd <= 599, reason of visible ASCII / SP / HTAB);
/// - header lines `name: value\r\n` with a token name (lowercase, as `http::HeaderName` writes it) and a value
///   of visible ASCII / SP / HTAB / obs-text without leading or trailing whitespace, then `\r\n`;
/// - exactly one `date` (29 bytes); at most one `content-length` (digits) and at most one
///   `transfer-encoding` (`chunked`), never both; `connection` only `close` or `keep-alive`;
/// - 1xx, 204, 304: no `content-length`, no `transfer-encoding`, no body; 1xx never `connection: close`;
/// - other statuses: a body framed by `content-length` or by chunked coding (hex size, CRLF, data, CRLF, ...,
///   `0\r\n\r\n`, no trailers), or with neither, read until close, which needs `connection: close`;
/// - nothing after a `connection: close` response.
///
/// A response to HEAD has the framing fields of its GET but no body, and which requests were HEAD is not known
/// here, so every final response may also be bodiless: the check is that *some* reading of the output as
/// responses ends exactly at its end (a search over positions, linear in practice).
fn check_responses(out: &[u8]) -> Result<(), String> {
    let mut seen = vec![false; out.len() + 1];
    let mut todo = vec![0usize];
    seen[0] = true;
    let mut furthest: Option<(usize, String)> = None;
    while let Some(pos) = todo.pop() {
        if pos == out.len() {
            return Ok(());
        }
        let mut next = Vec::new();
        match parse_head(&out[pos..]) {
            Err(e) => {
                if furthest.as_ref().map_or(true, |(p, _)| pos >= *p) {
                    furthest = Some((pos, e));
                }
                continue;
            }
            Ok(h) => {
                let body_at = pos + h.len;
                let no_body = h.status < 200 || h.status == 204 || h.status == 304;
                if no_body {
                    next.push(body_at);
                } else {
                    next.push(body_at); // a response to HEAD
                    if h.chunked {
                        match chunked_len(&out[body_at..]) {
                            Ok(n) => next.push(body_at + n),
                            Err(e) => {
                                if furthest.as_ref().map_or(true, |(p, _)| body_at >= *p) {
                                    furthest = Some((body_at, e));
                                }
                            }
                        }
                    } else if let Some(n) = h.content_length {
                        next.push(body_at + n);
                    } else {
                        next.push(out.len()); // until close (close was checked in parse_head)
                    }
                }
                for n in next {
                    if n > out.len() {
                        let e = format!("response at {pos} announces a body past the end of the output");
                        if furthest.as_ref().map_or(true, |(p, _)| pos >= *p) {
                            furthest = Some((pos, e));
                        }
                        continue;
                    }
                    if h.close && n != out.len() {
                        if furthest.as_ref().map_or(true, |(p, _)| n >= *p) {
                            furthest = Some((n, format!("bytes after the `connection: close` response at {pos}")));
                        }
                        continue;
                    }
                    if !seen[n] {
                        seen[n] = true;
                        todo.push(n);
                    }
                }
            }
        }
    }
    let (at, e) = furthest.unwrap_or((0, "no reading ends at the end".into()));
    Err(format!("at byte {at}: {e}"))
}

fn parse_head(b: &[u8]) -> Result<Head, String> {
    let line_end = |from: usize| -> Result<usize, String> {
        let lf = b[from..]
            .iter()
            .position(|&c| c == b'\n')
            .ok_or_else(|| format!("unterminated line at {from}"))?
            + from;
        if lf == from || b[lf - 1] != b'\r' {
            return Err(format!("bare LF at {lf}"));
        }
        Ok(lf - 1)
    };
    let end = line_end(0)?;
    let line = &b[..end];
    let rest = line.strip_prefix(b"HTTP/1.1 ").ok_or("status line does not start with `HTTP/1.1 `")?;
    if rest.len() < 4 || !rest[..3].iter().all(u8::is_ascii_digit) || rest[3] != b' ' {
        return Err(format!("bad status line {:?}", String::from_utf8_lossy(line)));
    }
    let status = std::str::from_utf8(&rest[..3]).unwrap().parse::<u16>().unwrap();
    if !(100..=599).contains(&status) {
        return Err(format!("status {status} out of range"));
    }
    if !rest[4..].iter().all(|&c| c == b'\t' || (0x20..0x7f).contains(&c)) {
        return Err("bad reason phrase".into());
    }
    let mut h = Head { status, len: 0, content_length: None, chunked: false, close: false };
    let (mut dates, mut te) = (0, 0);
    let mut at = end + 2;
    loop {
        if at > 16 * 1024 {
            return Err("response head longer than 16 KiB".into());
        }
        let end = line_end(at)?;
        let line = &b[at..end];
        at = end + 2;
        if line.is_empty() {
            break;
        }
        let colon = line.iter().position(|&c| c == b':').ok_or("header line without `:`")?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let tchar = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&c);
        if name.is_empty() || !name.iter().all(|&c| tchar(c)) {
            return Err(format!("bad header name {:?}", String::from_utf8_lossy(name)));
        }
        let value = value.strip_prefix(b" ").ok_or("no SP after `:`")?;
        if !value.iter().all(|&c| c == b'\t' || c >= 0x20 && c != 0x7f)
            || value.first().is_some_and(|&c| c == b' ' || c == b'\t')
            || value.last().is_some_and(|&c| c == b' ' || c == b'\t')
        {
            return Err(format!("bad value for {:?}", String::from_utf8_lossy(name)));
        }
        match name {
            b"date" => {
                dates += 1;
                if value.len() != 29 {
                    return Err("date is not an IMF-fixdate".into());
                }
            }
            b"content-length" => {
                if h.content_length.is_some() || value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
                    return Err("bad or repeated content-length".into());
                }
                let n = std::str::from_utf8(value).unwrap().parse::<usize>().map_err(|e| e.to_string())?;
                h.content_length = Some(n);
            }
            b"transfer-encoding" => {
                te += 1;
                if value != b"chunked" || te > 1 {
                    return Err("bad or repeated transfer-encoding".into());
                }
                h.chunked = true;
            }
            b"connection" => match value {
                b"close" => h.close = true,
                b"keep-alive" => {}
                _ => return Err("bad connection value".into()),
            },
            _ => {}
        }
    }
    h.len = at;
    let no_body = status < 200 || status == 204 || status == 304;
    if status < 200 {
        if status != 100 || at != 25 || h.close {
            return Err("an interim response other than a bare `100 Continue`".into());
        }
        return Ok(h);
    }
    if dates != 1 {
        return Err(format!("{dates} date fields"));
    }
    if h.chunked && h.content_length.is_some() {
        return Err("both content-length and transfer-encoding".into());
    }
    if no_body && (h.chunked || h.content_length.is_some()) {
        return Err(format!("{status} with a framing field"));
    }
    if !no_body && !h.chunked && h.content_length.is_none() && !h.close {
        return Err(format!("{status} without framing and without `connection: close`"));
    }
    Ok(h)
}

/// Length of the chunked body at the front of `b` (as this server writes it: lowercase hex, no extensions, no
/// trailers).
fn chunked_len(b: &[u8]) -> Result<usize, String> {
    let mut at = 0;
    loop {
        let digits = b[at..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
        if digits == 0 || digits > 16 || b[at..].get(digits..digits + 2) != Some(b"\r\n") {
            return Err(format!("bad chunk-size line at {at} of a chunked body"));
        }
        let size = usize::from_str_radix(std::str::from_utf8(&b[at..at + digits]).unwrap(), 16)
            .map_err(|e| e.to_string())?;
        at += digits + 2;
        if size == 0 {
            return if b[at..].starts_with(b"\r\n") { Ok(at + 2) } else { Err("trailers or no final CRLF".into()) };
        }
        if b.len() < at + size + 2 || &b[at + size..at + size + 2] != b"\r\n" {
            return Err("chunk data not followed by CRLF".into());
        }
        at += size + 2;
    }
}
