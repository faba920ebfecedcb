//! Parsing requests: the request line (`line.rs`) and field lines (`fields.rs`), read as httparse reads them,
//! then the strict checks that decide framing and persistence.

pub mod chunked;
mod fast;
mod fields;
mod framing;
#[doc(hidden)]
pub mod fuzz;
mod line;
mod target;

pub(crate) use fields::read_fields;
pub use framing::BodyFraming;

use bytes::{Bytes, BytesMut};
use http::{Method, StatusCode};

use crate::config::Limits;
use crate::error::HttpError;
use crate::headers::{FieldSpan, Headers, Span};

/// The protocol version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// HTTP/1.0
    Http10,
    /// HTTP/1.1
    Http11,
}

/// A parsed request head: everything before the body.
#[derive(Debug, Clone)]
pub(crate) struct RequestHead {
    pub(crate) method: Method,
    pub(crate) version: Version,
    /// The path inside `headers.buf()`; `None` for `*` or an absolute-form target without a path (`/`).
    pub(crate) path: Option<Span>,
    pub(crate) query: Option<Span>,
    pub(crate) asterisk: bool,
    pub(crate) headers: Headers,
    pub(crate) framing: BodyFraming,
    pub(crate) keep_alive: bool,
    pub(crate) expect_continue: bool,
}

/// Incremental head parser state for one connection: how far the buffer was already searched for the
/// end of the head, so a head trickling in byte by byte is scanned once, not once per byte.
#[derive(Debug, Default)]
pub(crate) struct HeadParser {
    scanned: usize,
}

impl HeadParser {
    /// Parses a request head from the front of `buf`.
    ///
    /// `Ok(None)`: incomplete, read more. `Ok(Some(head))`: the head was removed from `buf`. `Err`: the request
    /// is refused with that status; the connection must be closed after answering.
    pub(crate) fn parse(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<RequestHead>, HttpError> {
        // RFC 9112 §2.2: a server SHOULD ignore empty lines received before the request-line.
        if self.scanned == 0 {
            let blank = buf
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            if blank > 0 {
                let _ = buf.split_to(blank);
            }
        }
        if buf.is_empty() {
            // The usual state after a batch is answered: nothing to look at until the next read.
            return Ok(None);
        }
        // Judged first, on whatever part of the request line has arrived, so the answer is the same however
        // the bytes are split across reads (found by the head_parser fuzz target).
        if buf.len() > limits.max_target_bytes && target_too_long(buf, limits) {
            return Err(HttpError::new(
                StatusCode::URI_TOO_LONG,
                "request-target too long",
            ));
        }
        // Whether the fast reader has its verdict on these bytes already: it reads a head at the start of a fresh
        // buffer below, and is not asked again about the same head.
        let fresh = self.scanned == 0;
        if fresh {
            // The common case, a whole head of the usual shape in the buffer: one pass of the fast reader finds its
            // end and parses it. Anything else (incomplete, unusual, refused) takes the path below, so the answer
            // does not depend on how the bytes were split across reads, and a head that is still arriving is
            // read again only once its end is there (not by both readers on every piece, as it was).
            if let Some((parsed, end)) = fast::parse(buf, limits) {
                if end <= limits.max_head_bytes {
                    let head = buf.split_to(end).freeze();
                    return Ok(Some(parsed.with_buf(head)));
                }
            }
        }
        self.parse_general(buf, limits, fresh)
    }

    /// [`parse`](Self::parse) for a head the fast reader did not take whole: incomplete, unusual, refused, or
    /// arrived in pieces. Not inlined: the usual head never comes here, and this code (with a second copy of the
    /// fast reader) would lie among the hot path's lines (BENCHMARKS.md, "Footprint").
    #[inline(never)]
    fn parse_general(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
        fresh: bool,
    ) -> Result<Option<RequestHead>, HttpError> {
        let Some(end) = find_head_end(buf, self.scanned.saturating_sub(3)) else {
            self.scanned = buf.len();
            check_incomplete(buf, limits)?;
            return Ok(None);
        };
        self.scanned = 0;
        if end > limits.max_head_bytes {
            return Err(HttpError::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "request head too large",
            ));
        }
        let head = buf.split_to(end).freeze();
        // The fast reader first for a head that came in pieces (one that came whole it has refused already):
        // where it answers, its answer is the general reader's.
        let parsed = match (!fresh).then(|| fast::parse(&head, limits)).flatten() {
            Some(whole) => Some(whole),
            None => parse_head(&head, limits)?,
        };
        match parsed {
            Some((parsed, n)) if n == head.len() => Ok(Some(parsed.with_buf(head))),
            _ => Err(HttpError::bad_request("malformed request head")),
        }
    }
}

/// The index just past the blank line that ends a head (`\r\n\r\n`, or `\n\n` as RFC 9112 §2.2 lets us accept).
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(p) = memchr::memchr(b'\n', buf.get(i..)?) {
        let lf = i + p;
        match buf.get(lf + 1) {
            Some(b'\n') => return Some(lf + 2),
            Some(b'\r') => match buf.get(lf + 2) {
                Some(b'\n') => return Some(lf + 3),
                Some(_) => {}
                None => return None,
            },
            Some(_) => {}
            None => return None,
        }
        i = lf + 1;
    }
    None
}

/// Limits that can be judged before the head is complete, so a client cannot make us buffer past them.
fn check_incomplete(buf: &[u8], limits: &Limits) -> Result<(), HttpError> {
    if buf.len() > limits.max_head_bytes {
        return Err(HttpError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "request head too large",
        ));
    }
    Ok(())
}

/// `true` if the request-target seen so far (from the first space of the request line to the next space or the
/// end of the line or of the buffer) is longer than the limit.
fn target_too_long(buf: &[u8], limits: &Limits) -> bool {
    let line = match buf.iter().position(|&b| b == b'\n') {
        Some(end) => &buf[..end],
        None => buf,
    };
    let Some(sp) = line.iter().position(|&b| b == b' ') else {
        return false;
    };
    let rest = &line[sp + 1..];
    let target_len = rest
        .iter()
        .position(|&b| b == b' ' || b == b'\r')
        .unwrap_or(rest.len());
    target_len > limits.max_target_bytes
}

/// A parsed head whose spans point into the buffer it was parsed from.
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Parsed {
    method: Method,
    version: Version,
    path: Option<Span>,
    query: Option<Span>,
    asterisk: bool,
    sem: framing::Semantics,
}

impl Parsed {
    /// The head, given the bytes it was parsed from (the same bytes, split off the read buffer).
    fn with_buf(self, head: Bytes) -> RequestHead {
        RequestHead {
            method: self.method,
            version: self.version,
            path: self.path,
            query: self.query,
            asterisk: self.asterisk,
            headers: Headers::new(head),
            framing: self.sem.framing,
            keep_alive: self.sem.keep_alive,
            expect_continue: self.sem.expect_continue,
        }
    }
}

/// Parses the head at the front of `head` and checks it: `Ok(None)` if it is incomplete, else the head and its
/// length.
fn parse_head(head: &[u8], limits: &Limits) -> Result<Option<(Parsed, usize)>, HttpError> {
    let line = match line::request_line(head) {
        Ok(Some(line)) => line,
        Ok(None) => return Ok(None),
        Err(e) => return Err(map_httparse_error(e, head)),
    };
    let mut fold = framing::Fold::default();
    let fields = match fields::read_fields(&head[line.len..], limits, |n, v| fold.field(n, v)) {
        Ok(Some(fields)) => fields,
        Ok(None) => return Ok(None),
        Err(e) => return Err(map_httparse_error(e, head)),
    };

    let method = parse_method(line.method)?;
    let version = match line.minor {
        0 => Version::Http10,
        _ => Version::Http11,
    };
    let target = line.target;
    if target.len() > limits.max_target_bytes {
        return Err(HttpError::new(
            StatusCode::URI_TOO_LONG,
            "request-target too long",
        ));
    }
    let parts = target::split_target(target, line.scan)?;
    if parts.asterisk && method != Method::OPTIONS {
        return Err(HttpError::bad_request("* is only a target for OPTIONS"));
    }
    let target_at = Span::of(head, target).start as usize;
    let span = |(a, b): (usize, usize)| Span {
        start: (target_at + a) as u32,
        len: (b - a) as u32,
    };
    fields.outcome?;
    let sem = fold.finish(version == Version::Http11)?;
    let path = (!parts.asterisk && !parts.empty_path).then(|| span(parts.path));
    let query = parts.query.map(span);
    Ok(Some((
        Parsed {
            method,
            version,
            path,
            query,
            asterisk: parts.asterisk,
            sem,
        },
        line.len + fields.len,
    )))
}

/// The field spans httparse reports for `head` (a complete, accepted head), empty values as empty spans at 0: what
/// [`crate::headers::field_spans`] must agree with. Used by the tests and the head_parser fuzz target.
pub(crate) fn httparse_field_spans(head: &[u8]) -> Vec<FieldSpan> {
    let mut slots = vec![httparse::EMPTY_HEADER; 1024];
    let mut req = httparse::Request::new(&mut slots);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => req
            .headers
            .iter()
            .map(|h| FieldSpan {
                name: Span::of(head, h.name.as_bytes()),
                value: if h.value.is_empty() {
                    Span::default()
                } else {
                    Span::of(head, h.value)
                },
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn parse_method(m: &[u8]) -> Result<Method, HttpError> {
    // Standard methods are matched without allocating; the request line was checked to be a token.
    Ok(match m {
        b"GET" => Method::GET,
        b"POST" => Method::POST,
        b"HEAD" => Method::HEAD,
        b"PUT" => Method::PUT,
        b"DELETE" => Method::DELETE,
        b"PATCH" => Method::PATCH,
        b"OPTIONS" => Method::OPTIONS,
        b"TRACE" => Method::TRACE,
        b"CONNECT" => Method::CONNECT,
        other => Method::from_bytes(other).map_err(|_| HttpError::bad_request("invalid method"))?,
    })
}

fn map_httparse_error(e: httparse::Error, head: &[u8]) -> HttpError {
    use httparse::Error as E;
    match e {
        E::TooManyHeaders => HttpError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "too many header fields",
        ),
        E::Version if looks_like_http_version(head) => HttpError::new(
            StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            "HTTP version not supported: use HTTP/1.1 or HTTP/1.0",
        ),
        E::Version => HttpError::bad_request("malformed request line"),
        E::Token => HttpError::bad_request("malformed request line"),
        E::HeaderName => HttpError::bad_request("invalid header field name"),
        E::HeaderValue => HttpError::bad_request("invalid header field value"),
        E::NewLine => HttpError::bad_request("malformed line ending"),
        E::Status => HttpError::bad_request("malformed request line"),
    }
}

/// `HTTP/<digit>.<digit>` (or `HTTP/<digit>`) at the end of the request line: a well-formed version we do not speak.
fn looks_like_http_version(head: &[u8]) -> bool {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = &head[..line_end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // Exactly `method SP target SP version`: with more spaces the version is not where httparse looked.
    if line.iter().filter(|&&b| b == b' ').count() != 2 {
        return false;
    }
    let Some(sp) = line.iter().rposition(|&b| b == b' ') else {
        return false;
    };
    match &line[sp + 1..] {
        [b'H', b'T', b'T', b'P', b'/', d] => d.is_ascii_digit(),
        [b'H', b'T', b'T', b'P', b'/', a, b'.', b] => a.is_ascii_digit() && b.is_ascii_digit(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<Option<RequestHead>, u16> {
        parse_with(s, &Limits::default())
    }

    fn parse_with(s: &[u8], limits: &Limits) -> Result<Option<RequestHead>, u16> {
        let mut buf = BytesMut::from(s);
        HeadParser::default()
            .parse(&mut buf, limits)
            .map_err(|e| e.status().as_u16())
    }

    fn ok(s: &str) -> RequestHead {
        parse(s.as_bytes()).unwrap().unwrap()
    }

    #[test]
    fn simple_get() {
        let h = ok("GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(h.method, Method::GET);
        assert_eq!(h.version, Version::Http11);
        assert_eq!(h.path.unwrap().get(h.headers.buf()), b"/a/b");
        assert_eq!(h.query.unwrap().get(h.headers.buf()), b"x=1");
        assert!(h.keep_alive);
        assert_eq!(h.framing, BodyFraming::None);
    }

    #[test]
    fn leaves_pipelined_bytes() {
        let mut buf = BytesMut::from(&b"GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\n"[..]);
        let mut p = HeadParser::default();
        assert!(p.parse(&mut buf, &Limits::default()).unwrap().is_some());
        assert_eq!(&buf[..], b"GET /2 HTTP/1.1\r\n");
        assert!(p.parse(&mut buf, &Limits::default()).unwrap().is_none());
    }

    #[test]
    fn incremental_bytes() {
        let req = b"\r\nPOST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
        let mut buf = BytesMut::new();
        let mut p = HeadParser::default();
        let mut got = None;
        for &b in req.iter() {
            buf.extend_from_slice(&[b]);
            if let Some(h) = p.parse(&mut buf, &Limits::default()).unwrap() {
                got = Some(h);
            }
        }
        let h = got.unwrap();
        assert_eq!(h.framing, BodyFraming::Length(3));
        assert_eq!(&buf[..], b"abc");
    }

    #[test]
    fn bare_lf_lines() {
        let h = ok("GET / HTTP/1.1\nHost: h\n\n");
        assert_eq!(h.path.unwrap().get(h.headers.buf()), b"/");
    }

    #[test]
    fn strictness() {
        let cases: &[(&[u8], u16)] = &[
            (b"GET / HTTP/1.1\r\n\r\n", 400),                          // no Host
            (b"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),              // space before colon
            (b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400), // obs-fold
            (b"GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 400),    // NUL
            (b"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400),    // bare CR
            (b"GET / HTTP/1.1\r\nHost: h\r\nX(: a\r\n\r\n", 400),      // non-token name
            (b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
            (b"GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505),
            (b"GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400),
            (b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            (b"GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400),
            (b"G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            (b"GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            (b"GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ];
        for (req, status) in cases {
            assert_eq!(
                parse(req).err(),
                Some(*status),
                "{}",
                String::from_utf8_lossy(req)
            );
        }
    }

    #[test]
    fn limits() {
        let limits = Limits {
            max_target_bytes: 100,
            max_head_bytes: 1000,
            max_headers: 3,
            max_header_line_bytes: 200,
            ..Limits::default()
        };
        let long_target = format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "a".repeat(150));
        assert_eq!(parse_with(long_target.as_bytes(), &limits).err(), Some(414));
        // 414 before the line is complete, so the client cannot make us buffer it.
        let partial = format!("GET /{}", "a".repeat(300));
        assert_eq!(parse_with(partial.as_bytes(), &limits).err(), Some(414));
        let many = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        assert_eq!(parse_with(many.as_bytes(), &limits).err(), Some(431));
        let big_field = format!(
            "GET / HTTP/1.1\r\nHost: h\r\nA: {}\r\n\r\n",
            "x".repeat(300)
        );
        assert_eq!(parse_with(big_field.as_bytes(), &limits).err(), Some(431));
        let big_head = format!("GET / HTTP/1.1\r\nHost: h\r\nA: {}", "x".repeat(1000));
        assert_eq!(parse_with(big_head.as_bytes(), &limits).err(), Some(431));
    }

    /// Field counts around the limit; the head is the same whatever the number of fields.
    #[test]
    fn field_counts_up_to_the_limit() {
        let head = |n: usize| {
            let mut h = String::from("GET / HTTP/1.1\r\nHost: h\r\n");
            for i in 1..n {
                h.push_str(&format!("X-{i}: {i}\r\n"));
            }
            h + "\r\n"
        };
        for n in [2, 23, 24, 25, 100] {
            let h = ok(&head(n));
            assert_eq!(h.headers.len(), n);
            assert_eq!(
                h.headers.get(&format!("x-{}", n - 1)),
                Some((n - 1).to_string().as_str())
            );
        }
        assert_eq!(parse(head(101).as_bytes()).err(), Some(431));
        let limits = |max_headers| Limits {
            max_headers,
            ..Limits::default()
        };
        assert!(parse_with(head(30).as_bytes(), &limits(30))
            .unwrap()
            .is_some());
        assert_eq!(
            parse_with(head(31).as_bytes(), &limits(30)).err(),
            Some(431)
        );
        assert_eq!(
            parse_with(head(11).as_bytes(), &limits(10)).err(),
            Some(431)
        );
        // Incomplete, with many fields already read: wait for the rest.
        let partial = head(40);
        assert!(parse(&partial.as_bytes()[..partial.len() - 2])
            .unwrap()
            .is_none());
    }

    #[test]
    fn options_asterisk_and_absolute_form() {
        let h = ok("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
        assert!(h.asterisk);
        let h = ok("GET http://h/p?q HTTP/1.1\r\nHost: h\r\n\r\n");
        assert_eq!(h.path.unwrap().get(h.headers.buf()), b"/p");
        let h = ok("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n");
        assert!(h.path.is_none());
    }

    /// The fields `Headers` finds on first use are exactly those httparse reported while parsing.
    #[test]
    fn field_spans_found_later_are_httparse_spans() {
        for head in [
            "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET / HTTP/1.1\nHost: h\nA:b\n\n",
            "GET / HTTP/1.1\r\nHost:\th \t\r\nEmpty:\r\nBlank: \t \r\nX: a  b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nObs: café \r\nColon: a:b: c\r\n\r\n",
            "GET /p?q=1 HTTP/1.0\r\n\r\n",
        ] {
            let h = ok(head);
            let buf = h.headers.buf();
            let spans = crate::headers::field_spans(buf);
            assert_eq!(spans, httparse_field_spans(buf), "{head:?}");
            assert_eq!(h.headers.len(), spans.len());
        }
        let h = ok("GET / HTTP/1.1\r\nHost:\th \t\r\nEmpty:\r\nX: a  b \r\n\r\n");
        assert_eq!(h.headers.get("host"), Some("h"));
        assert_eq!(h.headers.get("empty"), Some(""));
        assert_eq!(h.headers.get("x"), Some("a  b"));
    }

    proptest::proptest! {
        #[test]
        fn field_spans_match_httparse_on_any_accepted_head(
            lines in proptest::collection::vec(
                ("[A-Za-z-]{1,8}", "[ \t]{0,3}", "[ -~\t\u{80}-\u{ff}]{0,12}", "[ \t]{0,3}", proptest::bool::ANY),
                0..8,
            )
        ) {
            let mut head = String::from("GET / HTTP/1.1\r\nHost: h\r\n");
            for (name, pre, value, post, crlf) in &lines {
                head.push_str(&format!("{name}:{pre}{value}{post}{}", if *crlf { "\r\n" } else { "\n" }));
            }
            head.push_str("\r\n");
            if let Ok(Some(h)) = parse(head.as_bytes()) {
                let buf = h.headers.buf();
                proptest::prop_assert_eq!(crate::headers::field_spans(buf), httparse_field_spans(buf));
            }
        }
    }

    #[test]
    fn http10() {
        let h = ok("GET / HTTP/1.0\r\n\r\n");
        assert_eq!(h.version, Version::Http10);
        assert!(!h.keep_alive);
    }

    #[test]
    fn a_request_head_is_moved_without_a_memcpy_call() {
        // Every request's head is moved into the connection's `answer` future; up to 128 bytes LLVM copies it
        // inline with eight 16-byte moves, above that it calls `memcpy` (~29 instructions per request).
        assert!(
            std::mem::size_of::<RequestHead>() <= 128,
            "{}",
            std::mem::size_of::<RequestHead>()
        );
    }
}
