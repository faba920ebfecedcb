//! Entry points for the fuzz targets in `fuzz/` (not a public API).

use bytes::BytesMut;

use super::HeadParser;
use crate::config::Limits;

/// Parses `data` as a stream of requests twice, once whole and once fed in pieces at the split points in
/// `splits`, and checks that both runs agree on every head and on where it ends. Panics on disagreement.
pub fn heads(data: &[u8], splits: &[u8]) {
    let limits = Limits {
        max_head_bytes: 4096,
        max_target_bytes: 1024,
        max_header_line_bytes: 1024,
        max_headers: 16,
        ..Limits::default()
    };
    // The request line is read by our own code: it must be read exactly as httparse reads it.
    let start = data
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    super::line::assert_same_as_httparse(&data[start..]);
    // So are the field lines: the whole head must be read as the httparse-based parser read it.
    reference::assert_same(&data[start..], &limits);
    let whole = run(data, &[], &limits);
    let pieces = run(data, splits, &limits);
    assert_eq!(whole, pieces, "split feeding changed the result");
}

/// `(method, path, framing, keep_alive)` of each head, or the error status that ended the stream.
type Outcome = Vec<Result<String, u16>>;

fn run(data: &[u8], splits: &[u8], limits: &Limits) -> Outcome {
    let mut parser = HeadParser::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut fed = 0;
    let mut split_iter = splits.iter().map(|&s| usize::from(s) + 1);
    loop {
        let step = split_iter.next().unwrap_or(data.len());
        let end = (fed + step).min(data.len());
        buf.extend_from_slice(&data[fed..end]);
        fed = end;
        loop {
            match parser.parse(&mut buf, limits) {
                Ok(Some(head)) => {
                    assert!(head.headers.len() <= limits.max_headers);
                    // The fields found on demand are exactly httparse's.
                    assert_eq!(
                        crate::headers::field_spans(head.headers.buf()),
                        super::httparse_field_spans(head.headers.buf()),
                        "field spans differ from httparse's"
                    );
                    out.push(Ok(format!(
                        "{} {:?} {:?} {} {}",
                        head.method,
                        head.path.map(|p| p.get(head.headers.buf()).to_vec()),
                        head.framing,
                        head.keep_alive,
                        fed - buf.len()
                    )));
                    // Past a head, the framing decides what follows; the fuzz target only checks heads.
                    if !matches!(head.framing, super::BodyFraming::None) {
                        return out;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e.status().as_u16()));
                    return out;
                }
            }
        }
        if fed == data.len() {
            // Normalise: what is left is an incomplete head, whatever the feeding.
            out.push(Ok(format!("incomplete {}", buf.len())));
            return out;
        }
    }
}

/// The head parser before the request line and the field lines were read by our own code: httparse for both,
/// then the same checks. The parser in use must give the same answer on any bytes.
pub(crate) mod reference {
    use crate::config::Limits;
    use crate::error::HttpError;
    use crate::parse::{framing, map_httparse_error, parse_method, target, Version};
    use http::{Method, StatusCode};

    /// What the two parsers are compared on: the status of a refusal, or what a head says and its length.
    pub(crate) type Answer = Result<Option<String>, u16>;

    /// The answer of the parser in use.
    pub(crate) fn current(head: &[u8], limits: &Limits) -> Answer {
        match super::super::parse_head(head, limits) {
            Ok(Some((p, len))) => Ok(Some(format!(
                "{} {:?} {:?} {:?} {} {:?} {} {} {}",
                p.method,
                p.version,
                p.path.map(|s| s.get(head).to_vec()),
                p.query.map(|s| s.get(head).to_vec()),
                p.asterisk,
                p.sem.framing,
                p.sem.keep_alive,
                p.sem.expect_continue,
                len
            ))),
            Ok(None) => Ok(None),
            Err(e) => Err(e.status().as_u16()),
        }
    }

    /// The answer of the httparse-based parser.
    pub(crate) fn previous(head: &[u8], limits: &Limits) -> Answer {
        let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
        let mut req = httparse::Request::new(&mut slots);
        let len = match req.parse(head) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(map_httparse_error(e, head).status().as_u16()),
        };
        let checked = (|| -> Result<String, HttpError> {
            let method = parse_method(req.method.unwrap_or("").as_bytes())?;
            let version = match req.version {
                Some(0) => Version::Http10,
                _ => Version::Http11,
            };
            let target = req.path.unwrap_or("").as_bytes();
            if target.len() > limits.max_target_bytes {
                return Err(HttpError::new(StatusCode::URI_TOO_LONG, "too long"));
            }
            let parts = target::split_target(target, target::Scan::of(target))?;
            if parts.asterisk && method != Method::OPTIONS {
                return Err(HttpError::bad_request("*"));
            }
            for h in req.headers.iter() {
                if h.name.len() + h.value.len() + 2 > limits.max_header_line_bytes {
                    return Err(HttpError::new(
                        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "field too large",
                    ));
                }
                if h.value
                    .iter()
                    .any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
                {
                    return Err(HttpError::bad_request("control"));
                }
            }
            let sem = framing::semantics(
                req.headers.iter().map(|h| (h.name, h.value)),
                version == Version::Http11,
            )?;
            let part = |(a, b): (usize, usize)| target[a..b].to_vec();
            let path = (!parts.asterisk && !parts.empty_path).then(|| part(parts.path));
            Ok(format!(
                "{} {:?} {:?} {:?} {} {:?} {} {} {}",
                method,
                version,
                path,
                parts.query.map(part),
                parts.asterisk,
                sem.framing,
                sem.keep_alive,
                sem.expect_continue,
                len
            ))
        })();
        checked.map(Some).map_err(|e| e.status().as_u16())
    }

    /// Panics unless both parsers give `head` the same answer (`head` must not start with an empty line).
    pub(crate) fn assert_same(head: &[u8], limits: &Limits) {
        assert_eq!(
            current(head, limits),
            previous(head, limits),
            "head {:?}",
            String::from_utf8_lossy(head)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::heads;

    /// Found by the head_parser fuzz target: a long method made the incomplete-head check answer 414 when the
    /// line arrived in pieces, while the same bytes in one read were accepted.
    #[test]
    fn long_method_gets_the_same_answer_whole_and_in_pieces() {
        let data = format!("{} / HTTP/1.1\r\nHost: a\r\n\r\n", "M".repeat(1089));
        heads(data.as_bytes(), &[255, 255, 255, 255, 64]);
    }

    /// The head parser in use against the httparse-based one it replaced, on heads near the edges.
    #[test]
    fn reads_heads_as_the_httparse_parser_did() {
        use super::reference::assert_same;
        use crate::config::Limits;
        let limits = Limits {
            max_headers: 4,
            max_header_line_bytes: 40,
            max_target_bytes: 64,
            ..Limits::default()
        };
        let cases: &[&[u8]] = &[
            b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET / HTTP/1.1\nHost: h\n\n",
            b"GET / HTTP/1.1\r\nHost:h\r\nA:\r\nB: \t \r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD:\x01\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4",
            b"GET / HTTP/1.1\r\nHost: h\r\nLong: 0123456789012345678901234567890123456789\r\nX(: y\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nLong: 0123456789012345678901234567890123456789\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\nHost: h\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nLong: 0123456789012345678901234567890123456789\r\n\r\n",
            b"GET /\x80 HTTP/1.1\r\nHost: h\r\nA: \r\n",
            b"GET * HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\n X: y\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\n\rX",
            b"GET / HTTP/1.1\r\nHost: h\r\nA",
            b"GET / HTTP/1.1\r\nHost: h\r\nA:",
            b"GET / HTTP/1.1\r\nHost: h\r\nA: b\r",
            b"GET / HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n\r\n",
        ];
        for head in cases {
            for end in 0..=head.len() {
                assert_same(&head[..end], &limits);
            }
            assert_same(head, &Limits::default());
        }
    }

    proptest::proptest! {
        #[test]
        fn heads_from_near_misses_are_read_as_the_httparse_parser_did(
            lines in proptest::collection::vec(
                "(Host|Content-Length|Transfer-Encoding|Connection|Expect|X-A|X\\(|)(:| :|)( |\t|)(h|5|chunked|close|100-continue|a b|\x01|\x7f|\u{e9}|)( |)(\r\n|\n|\r|)",
                0..6,
            ),
            end in "(\r\n|\n|\r|)",
        ) {
            let mut head = String::from("POST /p?q HTTP/1.1\r\n");
            for l in &lines {
                head.push_str(l);
            }
            head.push_str(&end);
            let limits = crate::config::Limits { max_headers: 3, max_header_line_bytes: 24, ..Default::default() };
            super::reference::assert_same(head.as_bytes(), &limits);
        }
    }

    #[test]
    fn long_target_gets_the_same_answer_whole_and_in_pieces() {
        let data = format!(
            "GET /{} HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n",
            "a".repeat(1500),
            "b".repeat(3000)
        );
        heads(data.as_bytes(), &[100, 7, 255, 3]);
        heads(data.as_bytes(), &[]);
    }
}
