//! The last response head each thread encoded, copied again for the next response whose head is the same.
//!
//! Consecutive responses of a worker very often have identical heads: same status, content type, length and
//! connection field, within the same second. Copying the previous head whole costs a few comparisons and one copy;
//! encoding it costs about three times that (`cost.sh`, BENCHMARKS.md). Only heads that depend on nothing but
//! the key below are kept: a response with fields of its own beyond `Content-Type` is always encoded. Nothing of
//! the body is kept.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use http::StatusCode;

use super::encode::{encode_head, ConnectionField, Framing, HeadPrefix};
use super::Response;

/// The longest content type a kept head may have.
const MAX_CONTENT_TYPE: usize = 64;

/// Everything a head without fields of its own is made of, but the content type's bytes (kept beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    /// Which [`HeadPrefix`] (server name) it starts with: ids are never reused, unlike addresses.
    prefix: u64,
    /// The Unix second of its `Date`.
    second: u64,
    status: StatusCode,
    framing: Framing,
    connection: ConnectionField,
    /// The content type's length; `None`: no content type.
    content_type_len: Option<u8>,
}

struct Last {
    key: Option<Key>,
    content_type: [u8; MAX_CONTENT_TYPE],
    head: Vec<u8>,
}

thread_local! {
    static LAST: RefCell<Last> = const {
        RefCell::new(Last { key: None, content_type: [0; MAX_CONTENT_TYPE], head: Vec::new() })
    };
}

/// A new id for a [`HeadPrefix`].
pub(crate) fn next_prefix_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Appends the head of `res` to `out`, as [`encode_head`] with the date of the Unix second `second` does: by
/// copying this thread's last head when it is the same, else by encoding it (and keeping it).
pub(crate) fn encode_head_cached(
    out: &mut Vec<u8>,
    res: &Response,
    framing: Framing,
    connection: ConnectionField,
    second: u64,
    prefix: &HeadPrefix,
) {
    let encode = |out: &mut Vec<u8>| {
        crate::date::with_date(second, |date| {
            encode_head(out, res, framing, connection, date, prefix)
        })
    };
    if !res.headers.is_empty() {
        return encode(out);
    }
    let content_type = res.content_type.as_ref().map(|v| v.as_bytes());
    let content_type_len = match content_type {
        None => None,
        Some(ct) if ct.len() <= MAX_CONTENT_TYPE => Some(ct.len() as u8),
        // Too long to keep: encoded every time.
        Some(_) => return encode(out),
    };
    let key = Key {
        prefix: prefix.id(),
        second,
        status: res.status,
        framing,
        connection,
        content_type_len,
    };
    let ct = content_type.unwrap_or_default();
    LAST.with(|cell| {
        let Ok(mut last) = cell.try_borrow_mut() else {
            return encode(out);
        };
        if last.key == Some(key) && last.content_type[..ct.len()] == *ct {
            out.extend_from_slice(&last.head);
            return;
        }
        let start = out.len();
        encode(out);
        let last = &mut *last;
        last.head.clear();
        last.head.extend_from_slice(&out[start..]);
        last.content_type[..ct.len()].copy_from_slice(ct);
        last.key = Some(key);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{header, HeaderValue};
    use proptest::prelude::*;

    fn plain(
        res: &Response,
        f: Framing,
        c: ConnectionField,
        second: u64,
        p: &HeadPrefix,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        crate::date::with_date(second, |date| encode_head(&mut out, res, f, c, date, p));
        out
    }

    fn response(status: u16, ct: u8, extra: bool) -> Response {
        let mut res = Response::new(StatusCode::from_u16(status).unwrap());
        res = match ct {
            0 => res,
            1 => res.with_content_type(HeaderValue::from_static("text/plain; charset=utf-8")),
            2 => res.with_content_type(HeaderValue::from_static("text/plain; charset=utf-9")),
            3 => res.with_content_type(HeaderValue::from_static("application/json")),
            // Longer than a kept head's content type may be.
            _ => res.with_content_type(HeaderValue::from_bytes(&[b'x'; 80]).unwrap()),
        };
        if extra {
            res = res.with_header(header::CACHE_CONTROL, "no-store");
        }
        res
    }

    proptest! {
        /// Any sequence of responses gets exactly the heads `encode_head` gives them one by one.
        #[test]
        fn heads_are_those_encode_head_gives(
            seq in proptest::collection::vec(
                (
                    prop_oneof![Just(200u16), Just(404), Just(204), Just(500)],
                    0u8..5,
                    any::<bool>(),
                    prop_oneof![Just(None), (0u64..3).prop_map(Some)],
                    0u8..3,
                    1_795_687_200u64..1_795_687_203,
                    0usize..2,
                ),
                1..40,
            )
        ) {
            let prefixes = [HeadPrefix::new(Some(b"micro_http")), HeadPrefix::new(Some(b"other"))];
            for (status, ct, extra, len, conn, second, p) in seq {
                let res = response(status, ct, extra);
                let framing = match len {
                    Some(n) => Framing::choose(res.status, Some(n), true),
                    None => Framing::Chunked,
                };
                let connection = [ConnectionField::None, ConnectionField::Close, ConnectionField::KeepAlive]
                    [usize::from(conn)];
                let mut out = b"earlier bytes".to_vec();
                encode_head_cached(&mut out, &res, framing, connection, second, &prefixes[p]);
                let want = plain(&res, framing, connection, second, &prefixes[p]);
                prop_assert_eq!(&out[13..], &want[..]);
            }
        }
    }

    #[test]
    fn a_repeated_head_is_copied_and_a_new_second_is_not() {
        let p = HeadPrefix::new(Some(b"micro_http"));
        let res = response(200, 1, false);
        let head = |second| {
            let mut out = Vec::new();
            encode_head_cached(
                &mut out,
                &res,
                Framing::Length(13),
                ConnectionField::None,
                second,
                &p,
            );
            String::from_utf8(out).unwrap()
        };
        let first = head(1_795_687_200);
        assert!(
            first.contains("date: Thu, 26 Nov 2026 10:00:00 GMT\r\n"),
            "{first}"
        );
        assert_eq!(head(1_795_687_200), first);
        assert!(head(1_795_687_201).contains("date: Thu, 26 Nov 2026 10:00:01 GMT\r\n"));
    }
}
