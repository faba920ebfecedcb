//! The field lines of a request head (RFC 9112 §5), read in one pass: each line is accepted or refused exactly
//! as httparse's request parser does it with its default configuration (same bytes, same errors, same order, so
//! `map_httparse_error` words them), the field limits are applied, and each field is shown to a visitor: the
//! framing fold while parsing, the span collector of `Headers` later.
//!
//! Why not httparse here: it needs a slot per field to fill, and on the short heads real clients send it cost
//! ~400 instructions for one `Host` field plus ~100 to initialise the slots, where this pass costs ~150
//! (BENCHMARKS.md). Nothing is kept per field: `Headers` finds them again on first use. The unit tests and the
//! head_parser fuzz target compare whole heads with the httparse-based parser this replaced (`fuzz::reference`).

use super::framing::TOKEN as NAME;
use crate::config::Limits;
use crate::error::HttpError;
use http::StatusCode;

/// Field value bytes, httparse's `HEADER_VALUE_MAP`: HTAB, SP, visible ASCII, obs-text. No other control, no DEL,
/// so a bare CR or a NUL in a value ends it and is refused.
pub(super) const VALUE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b == 0x09 || (b >= 0x20 && b != 0x7f);
        b += 1;
    }
    t
};

/// The field section read whole.
#[derive(Debug)]
pub(crate) struct Fields {
    /// Its length, the blank line that ends the head included.
    pub(crate) len: usize,
    /// The first field refused by a limit, else the first error of the visitor: judged after the request-target
    /// (as when httparse read the head and these checks came after).
    pub(crate) outcome: Result<(), HttpError>,
}

/// Reads the field lines at the front of `buf` up to the blank line that ends the head, showing each field to
/// `visit` (name as received, value without the surrounding whitespace; both slices of `buf`) until it refuses
/// one. `Ok(None)`: `buf` ends first and nothing seen so far is wrong. `Err`: what httparse would have answered.
pub(crate) fn read_fields(
    buf: &[u8],
    limits: &Limits,
    mut visit: impl FnMut(&[u8], &[u8]) -> Result<(), HttpError>,
) -> Result<Option<Fields>, httparse::Error> {
    let mut i = 0;
    let mut count = 0usize;
    let mut refused: Option<HttpError> = None;
    let mut visit_error: Option<HttpError> = None;
    loop {
        // A line ending here ends the head.
        let Some(&first) = buf.get(i) else {
            return Ok(None);
        };
        let end = match first {
            b'\r' => match buf.get(i + 1) {
                None => return Ok(None),
                Some(b'\n') => Some(i + 2),
                Some(_) => return Err(httparse::Error::NewLine),
            },
            b'\n' => Some(i + 1),
            _ => None,
        };
        if let Some(len) = end {
            let outcome = match (refused, visit_error) {
                (Some(e), _) | (None, Some(e)) => Err(e),
                (None, None) => Ok(()),
            };
            return Ok(Some(Fields { len, outcome }));
        }
        // field-name ":"
        let name_start = i;
        if !NAME[usize::from(first)] {
            return Err(httparse::Error::HeaderName);
        }
        i += 1;
        // (The scans search with `position`, which needs no bounds check per byte.)
        let Some(n) = buf[i..].iter().position(|&b| !NAME[usize::from(b)]) else {
            return Ok(None);
        };
        i += n;
        if buf[i] != b':' {
            return Err(httparse::Error::HeaderName);
        }
        let name = &buf[name_start..i];
        i += 1;
        // OWS field-value OWS, then CRLF or a bare LF
        while let Some(b' ' | b'\t') = buf.get(i) {
            i += 1;
        }
        let value_start = i;
        let Some(n) = buf[i..].iter().position(|&b| !VALUE[usize::from(b)]) else {
            return Ok(None);
        };
        i += n;
        let mut value = &buf[value_start..i];
        while let [rest @ .., b' ' | b'\t'] = value {
            value = rest;
        }
        i = match (buf[i], buf.get(i + 1)) {
            (b'\r', None) => return Ok(None),
            (b'\r', Some(b'\n')) => i + 2,
            (b'\n', _) => i + 1,
            _ => return Err(httparse::Error::HeaderValue),
        };
        // httparse refuses a field beyond its slots only once the field was read whole.
        count += 1;
        if count > limits.max_headers {
            return Err(httparse::Error::TooManyHeaders);
        }
        if refused.is_none() && name.len() + value.len() + 2 > limits.max_header_line_bytes {
            refused = Some(HttpError::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "header field too large",
            ));
        }
        if visit_error.is_none() {
            if let Err(e) = visit(name, value) {
                visit_error = Some(e);
            }
        }
    }
}
