//! [`Headers`]: the request's header fields, read in place from the received head (no copy, no map).
//!
//! Where each field lies is worked out on first use, not while parsing: a handler that never looks at a header
//! costs no allocation for them (a `Vec` of spans, allocated and freed, was ~170 instructions of every request).
//! They are found by the same reader that checked them (`parse/fields.rs`).

use std::fmt;
use std::sync::OnceLock;

use bytes::Bytes;

/// A byte range inside a request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

impl Span {
    pub(crate) fn of(outer: &[u8], inner: &[u8]) -> Span {
        // Both come from the same buffer: `inner` is a sub-slice handed out by the parser.
        let start = inner.as_ptr() as usize - outer.as_ptr() as usize;
        Span {
            start: start as u32,
            len: inner.len() as u32,
        }
    }

    pub(crate) fn get<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[self.start as usize..(self.start + self.len) as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldSpan {
    pub(crate) name: Span,
    pub(crate) value: Span,
}

/// The header fields of a request, in the order received.
///
/// Names compare case-insensitively. Values are bytes; [`get`](Headers::get) gives them as `&str` when they are
/// valid UTF-8 (obs-text bytes are allowed on the wire, so a value may not be).
///
/// ```
/// # use micro_http_core::test::request;
/// let req = request("GET / HTTP/1.1\r\nHost: example.com\r\nAccept: text/html\r\nAccept: */*\r\n\r\n");
/// assert_eq!(req.headers().get("host"), Some("example.com"));
/// assert_eq!(req.headers().get_all("Accept").count(), 2);
/// ```
#[derive(Clone, Default)]
pub struct Headers {
    /// The whole head, request line first; the parser has checked every field line in it.
    buf: Bytes,
    fields: OnceLock<Box<[FieldSpan]>>,
}

impl Headers {
    /// The fields of `head`, a complete head that the parser accepted.
    pub(crate) fn new(head: Bytes) -> Self {
        Headers {
            buf: head,
            fields: OnceLock::new(),
        }
    }

    fn fields(&self) -> &[FieldSpan] {
        self.fields
            .get_or_init(|| field_spans(&self.buf).into_boxed_slice())
    }

    pub(crate) fn buf(&self) -> &Bytes {
        &self.buf
    }

    /// The number of field lines.
    pub fn len(&self) -> usize {
        self.fields().len()
    }

    /// `true` when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }

    /// The value of the first field named `name`, as bytes.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.fields()
            .iter()
            .find(|f| f.name.get(&self.buf).eq_ignore_ascii_case(name.as_bytes()))
            .map(|f| f.value.get(&self.buf))
    }

    /// The value of the first field named `name`, if it is valid UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// `true` if a field named `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get_bytes(name).is_some()
    }

    /// The values of every field named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields().iter().filter_map(move |f| {
            let n = f.name.get(&self.buf);
            n.eq_ignore_ascii_case(name.as_bytes())
                .then(|| f.value.get(&self.buf))
        })
    }

    /// Every field as `(name, value)`, names as received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.fields().iter().map(move |f| {
            // Names were checked to be tokens (ASCII) by the parser.
            let name = std::str::from_utf8(f.name.get(&self.buf)).unwrap_or("");
            (name, f.value.get(&self.buf))
        })
    }
}

/// Where the name and value of each field line of `head` lie: read again by the parser's own field reader,
/// with no limits (the head was accepted under the server's). Empty values are empty spans at 0.
pub(crate) fn field_spans(head: &[u8]) -> Vec<FieldSpan> {
    // One field per line between the request line and the blank line: sized once, so the boxed slice the
    // spans end in needs no shrinking.
    let lines = head.iter().filter(|&&b| b == b'\n').count();
    let mut spans = Vec::with_capacity(lines.saturating_sub(2));
    let Some(line_end) = head.iter().position(|&b| b == b'\n') else {
        return spans;
    };
    let unlimited = crate::config::Limits {
        max_headers: usize::MAX,
        max_header_line_bytes: usize::MAX,
        ..Default::default()
    };
    let span = |part: &[u8]| {
        if part.is_empty() {
            Span::default()
        } else {
            Span::of(head, part)
        }
    };
    let _ = crate::parse::read_fields(&head[line_end + 1..], &unlimited, |name, value| {
        spans.push(FieldSpan {
            name: span(name),
            value: span(value),
        });
        Ok(())
    });
    spans
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(n, v)| (n, String::from_utf8_lossy(v))))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_sized_once() {
        for (raw, fields) in [
            (
                "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nX-Empty:\r\n\r\n",
                3,
            ),
            ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1),
            ("GET / HTTP/1.0\r\n\r\n", 0),
            ("GET / HTTP/1.1\nHost: a\nAccept: */*\n\n", 2),
        ] {
            let req = crate::test::request(raw);
            let spans = field_spans(req.headers().buf());
            assert_eq!((spans.len(), spans.capacity()), (fields, fields), "{raw:?}");
            assert_eq!(req.headers().len(), fields);
        }
    }
}
