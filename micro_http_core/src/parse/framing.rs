//! Request body framing and connection semantics from the header fields (RFC 9112 §6, §9.3; RFC 9110 §10.1.1).
//!
//! Every decision that determines where a request ends is made here, once, strictly: two parties that
//! disagree on a message's length are how requests get smuggled.

use http::StatusCode;

use crate::error::HttpError;

/// How the body of a request is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body (no Content-Length, no Transfer-Encoding: RFC 9112 §6.3 rule 7 for requests).
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// What the header fields say about the body and the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Semantics {
    pub(crate) framing: BodyFraming,
    pub(crate) keep_alive: bool,
    pub(crate) expect_continue: bool,
}

/// Folds the framing-relevant fields. `http11` is the request's version.
pub(crate) fn semantics<'a>(
    fields: impl Iterator<Item = (&'a str, &'a [u8])>,
    http11: bool,
) -> Result<Semantics, HttpError> {
    let mut fold = Fold::default();
    for (name, value) in fields {
        fold.field(name.as_bytes(), value)?;
    }
    fold.finish(http11)
}

/// The framing-relevant fields seen so far, fed one field at a time (name as received, value without the
/// surrounding whitespace). The first error of [`field`](Fold::field) is final: feed no more fields after it.
#[derive(Debug, Default)]
pub(crate) struct Fold {
    content_length: Option<u64>,
    te_seen: bool,
    chunked_count: u32,
    last_coding_chunked: bool,
    other_codings: bool,
    close: bool,
    keep_alive_token: bool,
    expect_continue: bool,
    hosts: u32,
}

impl Fold {
    /// Takes one field into account.
    pub(crate) fn field(&mut self, name: &[u8], value: &[u8]) -> Result<(), HttpError> {
        // Most fields concern framing not at all: their name's length tells, before any comparison.
        match name.len() {
            4 if is_name(name, b"host") => {
                self.hosts += 1;
                if !is_valid_host(value) {
                    return Err(HttpError::bad_request("invalid Host header"));
                }
            }
            6 if is_name(name, b"expect") => {
                if trim_ows(value).eq_ignore_ascii_case(b"100-continue") {
                    self.expect_continue = true;
                } else {
                    return Err(HttpError::new(
                        StatusCode::EXPECTATION_FAILED,
                        "only the expectation 100-continue is supported",
                    ));
                }
            }
            10 if is_name(name, b"connection") => {
                for item in value.split(|&b| b == b',') {
                    let opt = trim_ows(item);
                    if opt.eq_ignore_ascii_case(b"close") {
                        self.close = true;
                    } else if opt.eq_ignore_ascii_case(b"keep-alive") {
                        self.keep_alive_token = true;
                    }
                }
            }
            14 if is_name(name, b"content-length") => {
                // RFC 9112 §6.3 rule 5: a list of identical values may be taken as one; anything else is invalid.
                for item in value.split(|&b| b == b',') {
                    let n = parse_length(trim_ows(item))?;
                    match self.content_length {
                        Some(prev) if prev != n => {
                            return Err(HttpError::bad_request("conflicting Content-Length values"))
                        }
                        _ => self.content_length = Some(n),
                    }
                }
            }
            17 if is_name(name, b"transfer-encoding") => {
                self.te_seen = true;
                for item in value.split(|&b| b == b',') {
                    let coding = trim_ows(item);
                    if coding.is_empty() {
                        continue; // RFC 9110 §5.6.1: empty list elements are ignored.
                    }
                    self.last_coding_chunked = coding.eq_ignore_ascii_case(b"chunked");
                    if self.last_coding_chunked {
                        self.chunked_count += 1;
                    } else if !is_token(coding_name(coding)) {
                        return Err(HttpError::bad_request("invalid Transfer-Encoding"));
                    } else {
                        self.other_codings = true;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A Host field whose value the caller has already found valid.
    pub(crate) fn valid_host(&mut self) {
        self.hosts += 1;
    }

    /// What the fields say, once all were seen.
    pub(crate) fn finish(self, http11: bool) -> Result<Semantics, HttpError> {
        // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without Host or with more than one.
        if self.hosts > 1 {
            return Err(HttpError::bad_request("more than one Host header"));
        }
        if http11 && self.hosts == 0 {
            return Err(HttpError::bad_request("missing Host header"));
        }

        let framing = if self.te_seen {
            // RFC 9112 §6.1: TE in an HTTP/1.0 message means faulty framing; TE with CL is a smuggling attempt
            // that we refuse (we MAY; closing is required either way, §6.3 rule 3).
            if !http11 {
                return Err(HttpError::bad_request(
                    "Transfer-Encoding in an HTTP/1.0 request",
                ));
            }
            if self.content_length.is_some() {
                return Err(HttpError::bad_request(
                    "both Transfer-Encoding and Content-Length",
                ));
            }
            if self.chunked_count > 1 {
                return Err(HttpError::bad_request("chunked applied more than once"));
            }
            if self.chunked_count == 0 || !self.last_coding_chunked || self.other_codings {
                // RFC 9112 §6.1: a transfer coding we do not understand (we decode none but chunked) -> 501. A
                // coding after `chunked` leaves the length undeterminable (§6.3 rule 4): refused the same way.
                return Err(HttpError::new(
                    StatusCode::NOT_IMPLEMENTED,
                    "unsupported Transfer-Encoding: only chunked is implemented",
                ));
            }
            BodyFraming::Chunked
        } else {
            match self.content_length {
                Some(0) | None => BodyFraming::None,
                Some(n) => BodyFraming::Length(n),
            }
        };

        // RFC 9112 §9.3: HTTP/1.1 persists unless `close`; HTTP/1.0 only with `keep-alive`.
        let keep_alive = !self.close && (http11 || self.keep_alive_token);
        Ok(Semantics {
            framing,
            keep_alive,
            // RFC 9110 §10.1.1: a 100-continue from an HTTP/1.0 client is ignored.
            expect_continue: self.expect_continue && http11,
        })
    }
}

/// A transfer-coding's name, without parameters.
fn coding_name(coding: &[u8]) -> &[u8] {
    let end = coding
        .iter()
        .position(|&b| b == b';')
        .unwrap_or(coding.len());
    trim_ows(&coding[..end])
}

/// `Content-Length = 1*DIGIT`: no sign, no whitespace inside, no hex, at most 19 digits (fits u64).
fn parse_length(v: &[u8]) -> Result<u64, HttpError> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return Err(HttpError::bad_request("invalid Content-Length"));
    }
    Ok(v.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

pub(crate) fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// A 256-entry membership table for a byte class, built at compile time.
const fn class(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

/// `tchar` (RFC 9110 §5.6.2), the same set as httparse's `TOKEN_MAP`: methods, field names, codings.
pub(crate) const TOKEN: [bool; 256] = class(b"!#$%&'*+-.^_`|~");
pub(super) const HOST: [bool; 256] = class(b"-._~!$&'()*+,;=%:[]");

/// `name` is `lower` but for the case of its letters (`lower`: lowercase letters and `-`). The letters are
/// folded by setting bit 5, the other bytes compared as they are, so it compiles to a few word compares where
/// `eq_ignore_ascii_case` folds both sides byte by byte.
pub(super) fn is_name<const N: usize>(name: &[u8], lower: &[u8; N]) -> bool {
    let Ok(name) = <&[u8; N]>::try_from(name) else {
        return false;
    };
    let mut same = true;
    for (&a, &b) in name.iter().zip(lower) {
        let fold = if b.is_ascii_lowercase() { 0x20 } else { 0 };
        same &= a | fold == b;
    }
    same
}

/// RFC 9110 §5.6.2 token.
pub(crate) fn is_token(v: &[u8]) -> bool {
    !v.is_empty() && v.iter().all(|&b| TOKEN[usize::from(b)])
}

/// `Host = uri-host [ ":" port ]`; an empty value is allowed (RFC 9112 §3.2). We accept reg-name,
/// IPv4 and bracketed IP literals, and refuse anything that could confuse a later URI builder
/// (whitespace, `/`, `@`, `?`, `#`, `\`).
fn is_valid_host(v: &[u8]) -> bool {
    v.iter().all(|&b| HOST[usize::from(b)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sem(fields: &[(&str, &str)], http11: bool) -> Result<Semantics, u16> {
        semantics(fields.iter().map(|(n, v)| (*n, v.as_bytes())), http11)
            .map_err(|e| e.status().as_u16())
    }

    const HOST: (&str, &str) = ("Host", "example.com");

    #[test]
    fn names_compare_as_eq_ignore_ascii_case_does() {
        // Byte by byte: every byte at every position, against the std comparison.
        for lower in [
            &b"content-length"[..],
            b"transfer-encoding",
            b"host",
            b"connection",
            b"expect",
        ] {
            for at in 0..lower.len() {
                for b in 0..=255u8 {
                    let mut name = lower.to_vec();
                    name[at] = b;
                    let ours = match lower.len() {
                        14 => is_name(&name, b"content-length"),
                        17 => is_name(&name, b"transfer-encoding"),
                        4 => is_name(&name, b"host"),
                        10 => is_name(&name, b"connection"),
                        _ => is_name(&name, b"expect"),
                    };
                    assert_eq!(ours, name.eq_ignore_ascii_case(lower), "{name:?}");
                }
            }
        }
        assert!(!is_name(b"hos", b"host"));
        assert!(!is_name(b"hostt", b"host"));
        assert!(is_name(b"HoSt", b"host"));
    }

    #[test]
    fn content_length() {
        let s = sem(&[HOST, ("Content-Length", "5")], true).unwrap();
        assert_eq!(s.framing, BodyFraming::Length(5));
        let s = sem(
            &[HOST, ("Content-Length", "5"), ("content-length", "5")],
            true,
        )
        .unwrap();
        assert_eq!(s.framing, BodyFraming::Length(5));
        let s = sem(&[HOST, ("Content-Length", "5, 5")], true).unwrap();
        assert_eq!(s.framing, BodyFraming::Length(5));
        assert_eq!(
            sem(&[HOST, ("Content-Length", "0")], true).unwrap().framing,
            BodyFraming::None
        );
        for bad in [
            "+5",
            "-5",
            "5 5",
            "1_0",
            "0x5",
            "",
            "5,6",
            "99999999999999999999",
            "5.0",
        ] {
            assert_eq!(
                sem(&[HOST, ("Content-Length", bad)], true),
                Err(400),
                "{bad:?}"
            );
        }
        assert_eq!(
            sem(
                &[HOST, ("Content-Length", "5"), ("Content-Length", "6")],
                true
            ),
            Err(400)
        );
    }

    #[test]
    fn transfer_encoding() {
        let ok = |v: &str| sem(&[HOST, ("Transfer-Encoding", v)], true).map(|s| s.framing);
        assert_eq!(ok("chunked"), Ok(BodyFraming::Chunked));
        assert_eq!(ok("Chunked"), Ok(BodyFraming::Chunked));
        assert_eq!(ok("chunked, "), Ok(BodyFraming::Chunked));
        assert_eq!(ok("gzip, chunked"), Err(501));
        assert_eq!(ok("chunked, identity"), Err(501));
        assert_eq!(ok("xchunked"), Err(501));
        assert_eq!(ok("identity"), Err(501));
        assert_eq!(ok("chunked, chunked"), Err(400));
        assert_eq!(ok("chu nked"), Err(400));
        assert_eq!(
            sem(
                &[
                    HOST,
                    ("Transfer-Encoding", "chunked"),
                    ("Transfer-Encoding", "chunked")
                ],
                true
            ),
            Err(400)
        );
        assert_eq!(
            sem(
                &[
                    HOST,
                    ("Transfer-Encoding", "chunked"),
                    ("Content-Length", "3")
                ],
                true
            ),
            Err(400)
        );
        assert_eq!(
            sem(&[HOST, ("Transfer-Encoding", "chunked")], false),
            Err(400)
        );
    }

    #[test]
    fn host_rules() {
        assert_eq!(sem(&[], true), Err(400));
        assert!(sem(&[], false).is_ok());
        assert_eq!(sem(&[HOST, HOST], true), Err(400));
        assert_eq!(sem(&[("Host", "a b")], true), Err(400));
        assert_eq!(sem(&[("Host", "a/b")], true), Err(400));
        assert!(sem(&[("Host", "")], true).is_ok());
        assert!(sem(&[("Host", "[::1]:8080")], true).is_ok());
    }

    #[test]
    fn persistence() {
        assert!(sem(&[HOST], true).unwrap().keep_alive);
        assert!(
            !sem(&[HOST, ("Connection", "close")], true)
                .unwrap()
                .keep_alive
        );
        assert!(
            !sem(&[HOST, ("Connection", "foo, Close")], true)
                .unwrap()
                .keep_alive
        );
        assert!(!sem(&[], false).unwrap().keep_alive);
        assert!(
            sem(&[("Connection", "Keep-Alive")], false)
                .unwrap()
                .keep_alive
        );
    }

    #[test]
    fn expect() {
        assert!(
            sem(&[HOST, ("Expect", "100-continue")], true)
                .unwrap()
                .expect_continue
        );
        assert!(
            !sem(&[("Expect", "100-continue")], false)
                .unwrap()
                .expect_continue
        );
        assert_eq!(sem(&[HOST, ("Expect", "200-ok")], true), Err(417));
    }
}
