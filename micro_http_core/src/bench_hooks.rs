//! Thin public wrappers around crate-internal hot paths, for the criterion benchmarks in `benches/`.
//!
//! Not part of the API: hidden from the docs and free to change with the internals they wrap.

use std::cell::RefCell;

use bytes::BytesMut;

use crate::config::Limits;
use crate::parse::HeadParser;
use crate::response::{encode_head, ConnectionField, Framing, HeadPrefix, IntoResponse, Response};

thread_local! {
    static LIMITS: Limits = Limits::default();
    static PREFIX: HeadPrefix = HeadPrefix::new(Some(b"micro_http"));
    static PLAINTEXT: RefCell<Response> = RefCell::new("Hello, World!".into_response());
}

/// Parses one request head from the front of `buf` with the default limits, as a connection does, and drops it.
/// `true`: a complete, valid head was parsed (and removed from `buf`).
pub fn parse_head(buf: &mut BytesMut) -> bool {
    LIMITS.with(|limits| matches!(HeadParser::default().parse(buf, limits), Ok(Some(_))))
}

/// Appends the head a keep-alive HTTP/1.1 connection writes for `res`: status line, `server: micro_http`, the
/// cached `date`, the handler's fields, and the framing field chosen from the body length.
pub fn encode_response_head(out: &mut Vec<u8>, res: &Response) {
    let framing = Framing::choose(res.status(), res.body().len(), true);
    PREFIX.with(|prefix| {
        crate::date::with_date(crate::date::unix_secs_now(), |date| {
            encode_head(out, res, framing, ConnectionField::None, date, prefix)
        })
    });
}

/// Appends the head of the TechEmpower plaintext response (200, `text/plain; charset=utf-8`, 13-byte body).
pub fn encode_plaintext_head(out: &mut Vec<u8>) {
    PLAINTEXT.with(|res| encode_response_head(out, &res.borrow()));
}
