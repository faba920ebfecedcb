//! The request line (RFC 9112 §3), read exactly as httparse's request parser reads it with its default
//! configuration, errors included, but without what it costs on the short lines real clients send: httparse spent
//! ~470 instructions on `GET /plaintext HTTP/1.1` (SIMD dispatch, a UTF-8 pass over the target), this ~100
//! (`cost.sh`, BENCHMARKS.md). The field lines after it are read by `fields.rs`. `tests` and the head_parser
//! fuzz target compare this reader with httparse on arbitrary bytes.

use super::framing::TOKEN;
use super::target::Scan;

/// Request-target bytes by what the reader does with them: most are [`PLAIN`].
const PLAIN: u8 = 0;
/// Ends the target: SP, other controls, DEL.
const END: u8 = 1;
const QUERY: u8 = 2;
const HASH: u8 = 3;
const NON_ASCII: u8 = 4;
const TARGET: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            b'?' => QUERY,
            b'#' => HASH,
            0x21..=0x7e => PLAIN,
            0x80..=0xff => NON_ASCII,
            _ => END,
        };
        b += 1;
    }
    t
};

/// A complete request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestLine<'a> {
    /// A token (`tchar`s).
    pub(crate) method: &'a [u8],
    /// Non-empty: visible ASCII and valid UTF-8 beyond it (httparse's rule; the target checks refuse the latter).
    pub(crate) target: &'a [u8],
    /// What the target checks need to know of `target`: the same as `Scan::of(target)`.
    pub(crate) scan: Scan,
    /// `0` for HTTP/1.0, `1` for HTTP/1.1.
    pub(crate) minor: u8,
    /// Its length, line ending included.
    pub(crate) len: usize,
}

/// Reads the request line at the front of `buf` (after any empty lines were skipped). `Ok(None)`: `buf` ends
/// before the line does and nothing seen so far is wrong.
pub(crate) fn request_line(buf: &[u8]) -> Result<Option<RequestLine<'_>>, httparse::Error> {
    // method SP (the hot loops search with `position`, which needs no bounds check per byte)
    let Some(i) = buf.iter().position(|&b| !TOKEN[usize::from(b)]) else {
        return Ok(None);
    };
    if buf[i] != b' ' || i == 0 {
        return Err(httparse::Error::Token);
    }
    let method = &buf[..i];
    // request-target SP: any byte from `!` up but DEL (httparse's URI_MAP), then UTF-8 if beyond ASCII. The pass
    // also notes what the target checks need (`Scan`), so they read no byte again.
    let start = i + 1;
    let mut j = start;
    let mut beyond_ascii = false;
    let mut hash = false;
    let mut query_at = None;
    loop {
        let Some(n) = buf[j..]
            .iter()
            .position(|&b| TARGET[usize::from(b)] != PLAIN)
        else {
            return Ok(None);
        };
        j += n;
        match TARGET[usize::from(buf[j])] {
            END => break,
            QUERY => {
                if query_at.is_none() {
                    query_at = Some(j - start);
                }
            }
            HASH => hash = true,
            _ => beyond_ascii = true,
        }
        j += 1;
    }
    if buf[j] != b' ' || j == start {
        return Err(httparse::Error::Token);
    }
    let target = &buf[start..j];
    if beyond_ascii && std::str::from_utf8(target).is_err() {
        return Err(httparse::Error::Token);
    }
    // HTTP-version
    let v = j + 1;
    let version = &buf[v..];
    let minor = match version.get(..8) {
        Some(b"HTTP/1.0") => 0,
        Some(b"HTTP/1.1") => 1,
        Some(_) => return Err(httparse::Error::Version),
        None => {
            // Incomplete: wrong already unless it is a prefix of `HTTP/1.`.
            let seen = version.len().min(7);
            return if version[..seen] == b"HTTP/1."[..seen] {
                Ok(None)
            } else {
                Err(httparse::Error::Version)
            };
        }
    };
    // CRLF, or a bare LF
    let end = v + 8;
    let len = match (buf.get(end), buf.get(end + 1)) {
        (None, _) | (Some(b'\r'), None) => return Ok(None),
        (Some(b'\r'), Some(b'\n')) => end + 2,
        (Some(b'\n'), _) => end + 1,
        _ => return Err(httparse::Error::NewLine),
    };
    Ok(Some(RequestLine {
        method,
        target,
        scan: Scan {
            clean: !beyond_ascii && !hash,
            query_at,
        },
        minor,
        len,
    }))
}

/// Method, target and minor version of a request line, owned: what the two readers are compared on.
pub(crate) type OwnedLine = (Vec<u8>, Vec<u8>, u8);

/// What httparse's request parser makes of the request line at the front of `buf`, in the terms of
/// [`request_line`]: the oracle of the tests and the head_parser fuzz target. A valid line ends at the first LF, so
/// httparse is given `buf` up to it and an empty field section, and answers about the line alone.
#[doc(hidden)]
pub(crate) fn httparse_request_line(buf: &[u8]) -> Result<Option<OwnedLine>, httparse::Error> {
    let input = match buf.iter().position(|&b| b == b'\n') {
        Some(lf) => [&buf[..=lf], b"\r\n"].concat(),
        None => buf.to_vec(),
    };
    let mut req = httparse::Request::new(&mut []);
    match req.parse(&input)? {
        httparse::Status::Complete(_) => Ok(Some((
            req.method.unwrap_or("").as_bytes().to_vec(),
            req.path.unwrap_or("").as_bytes().to_vec(),
            req.version.unwrap_or(9),
        ))),
        httparse::Status::Partial => Ok(None),
    }
}

/// Panics unless [`request_line`] and httparse agree on `buf` (which must not start with an empty line), and the
/// target scan gathered on the way is [`Scan::of`] the target.
#[doc(hidden)]
pub(crate) fn assert_same_as_httparse(buf: &[u8]) {
    if let Ok(Some(line)) = request_line(buf) {
        assert_eq!(
            line.scan,
            Scan::of(line.target),
            "target scan of {:?}",
            String::from_utf8_lossy(buf)
        );
    }
    let ours =
        request_line(buf).map(|l| l.map(|l| (l.method.to_vec(), l.target.to_vec(), l.minor)));
    let theirs = httparse_request_line(buf);
    assert_eq!(
        ours,
        theirs,
        "request line {:?}",
        String::from_utf8_lossy(buf)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_as_httparse_does() {
        for line in [
            "GET /plaintext HTTP/1.1\r\n",
            "GET / HTTP/1.0\n",
            "POST /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n",
            "M-SEARCH * HTTP/1.1\r\n",
            "GET http://h/p HTTP/1.1\r\n",
            "get /x HTTP/1.1\r\n",
            "GET /caf\u{e9} HTTP/1.1\r\n",
            "GET /\u{7f} HTTP/1.1\r\n",
            "GET  / HTTP/1.1\r\n",
            "GET / HTTP/1.1 \r\n",
            "GET / HTTP/1.2\r\n",
            "GET / HTTP/2.0\r\n",
            "GET / http/1.1\r\n",
            "GET / HTTP/1.1\rX",
            "GET / HTTP/1.1\r",
            "GET / HTTP/1.",
            "GET / HTTP/",
            "GET / HTX",
            "GET /",
            "GET",
            " GET / HTTP/1.1\r\n",
            "G@T / HTTP/1.1\r\n",
            "GET\t/ HTTP/1.1\r\n",
            "GET /\t HTTP/1.1\r\n",
            "GET / HTTP/1.1X\r\n",
            "",
        ] {
            assert_same_as_httparse(line.as_bytes());
        }
        // Bytes that are not UTF-8 in the target.
        assert_same_as_httparse(b"GET /\xff HTTP/1.1\r\n");
        assert_same_as_httparse(b"GET /\xc3\xa9 HTTP/1.1\r\n");
        assert_same_as_httparse(b"GET /\xc3 HTTP/1.1\r\n");
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_httparse_on_any_bytes(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)
        ) {
            if !matches!(bytes.first(), Some(b'\r' | b'\n')) {
                assert_same_as_httparse(&bytes);
            }
        }

        #[test]
        fn agrees_with_httparse_on_near_misses(
            method in "(GET|POST|M-SEARCH|G@T|)",
            sp1 in "( |  |\t|)",
            target in "(/|/a?b|/a?b?c#d|/#|\\*|http://h/p?q|/\u{e9}|/\\x7f|/\u{e9}?#|)",
            sp2 in "( |  |)",
            version in "(HTTP/1.1|HTTP/1.0|HTTP/1.2|HTTP/2|HTTP/1.|HTT|)",
            end in "(\r\n|\n|\r|\rx| \r\n|)",
        ) {
            let line = format!("{method}{sp1}{target}{sp2}{version}{end}");
            if !matches!(line.as_bytes().first(), Some(b'\r' | b'\n')) {
                assert_same_as_httparse(line.as_bytes());
            }
        }
    }
}
