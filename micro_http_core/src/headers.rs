//! [`Headers`]: the request's header fields, read in place from the received head (no copy, no map).
//!
//! Where each field lies is worked out on first use, not while parsing: a handler that never looks at a header
//! costs no allocation for them (a `Vec` of spans, allocated and freed, was ~170 instructions of every request).

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
    fields: OnceLock<Vec<FieldSpan>>,
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
        self.fields.get_or_init(|| field_spans(&self.buf))
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

/// Where the name and value of each field line of `head` lie, as httparse reports them: the name is what precedes
/// the colon; the value is the rest of the line without leading and trailing spaces and tabs. Only for a head the
/// parser accepted (no obs-fold, no space before a colon, no CR or other control in a value), where these simple
/// rules give exactly httparse's spans (checked against it by unit tests and the head_parser fuzz target).
pub(crate) fn field_spans(head: &[u8]) -> Vec<FieldSpan> {
    let mut spans = Vec::new();
    let mut lines = head.split(|&b| b == b'\n').skip(1); // the request line
    for line in &mut lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break; // the blank line that ends the head
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            break;
        };
        let name = &line[..colon];
        let value = &line[colon + 1..];
        let start = value.iter().position(|&b| b != b' ' && b != b'\t');
        let end = value.iter().rposition(|&b| b != b' ' && b != b'\t');
        let value = match (start, end) {
            (Some(a), Some(b)) => Span::of(head, &value[a..=b]),
            _ => Span::default(),
        };
        spans.push(FieldSpan {
            name: Span::of(head, name),
            value,
        });
    }
    spans
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(n, v)| (n, String::from_utf8_lossy(v))))
            .finish()
    }
}
