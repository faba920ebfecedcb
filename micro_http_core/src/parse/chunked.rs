//! Incremental, strict decoder for `Transfer-Encoding: chunked` request bodies (RFC 9112 §7.1).
//!
//! Strictness matters here: any leniency in chunk framing that a front-end proxy does not share is a
//! request-smuggling vector, so every deviation from the grammar is rejected (400 + close).

use bytes::{Buf, Bytes, BytesMut};

/// Limits for the decoder.
#[derive(Debug, Clone, Copy)]
pub struct ChunkedLimits {
    /// Longest chunk-size line including extensions (bytes, without CRLF). Default 4096.
    pub max_line: usize,
    /// Total bytes of the trailer field lines, each counted with its CRLF (the terminating empty
    /// line is not counted). Default 8192.
    pub max_trailers: usize,
}

impl Default for ChunkedLimits {
    fn default() -> Self {
        ChunkedLimits {
            max_line: 4096,
            max_trailers: 8192,
        }
    }
}

/// Why a chunked body was rejected. All of these mean "400 Bad Request and close the connection"
/// (except [`ChunkedError::TooLarge`], which a caller may map to 413).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkedError {
    /// The chunk-size is not `1*HEXDIG`, or is followed by something other than CRLF or `;`.
    InvalidSize,
    /// The chunk-size does not fit in a `u64`.
    SizeOverflow,
    /// A chunk extension does not follow the RFC 9112 §7.1.1 grammar.
    InvalidExtension,
    /// The chunk-size line is longer than [`ChunkedLimits::max_line`].
    LineTooLong,
    /// A line was not terminated by exactly CRLF, or chunk data was not followed by CRLF.
    MissingCrlf,
    /// A trailer field line is malformed.
    InvalidTrailer,
    /// The trailer section is longer than [`ChunkedLimits::max_trailers`].
    TrailersTooLarge,
    /// The decoded body would exceed the caller's limit (only from [`decode_complete`]).
    TooLarge,
}

impl std::fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChunkedError::InvalidSize => "invalid chunk size",
            ChunkedError::SizeOverflow => "chunk size too large",
            ChunkedError::InvalidExtension => "invalid chunk extension",
            ChunkedError::LineTooLong => "chunk size line too long",
            ChunkedError::MissingCrlf => "missing CRLF in chunked framing",
            ChunkedError::InvalidTrailer => "invalid trailer field",
            ChunkedError::TrailersTooLarge => "trailer section too large",
            ChunkedError::TooLarge => "chunked body too large",
        })
    }
}

impl std::error::Error for ChunkedError {}

/// What one call to [`ChunkedDecoder::decode`] produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Body bytes (a zero-copy `split_to(..).freeze()` of the input buffer). Never empty.
    Data(Bytes),
    /// The last chunk, the trailer section (if any) and the final CRLF were consumed; the body is
    /// complete. Bytes after it in the buffer (a pipelined next request) are left untouched.
    Done,
    /// More input is needed; everything usable in the buffer was consumed (framing bytes are
    /// removed as they are parsed; an incomplete framing line stays in the buffer).
    NeedMore,
}

#[derive(Debug, Clone)]
enum State {
    /// Expecting a chunk-size line (`chunk-size [ chunk-ext ] CRLF`).
    Size,
    /// Inside chunk data with this many bytes left.
    Data(u64),
    /// Expecting the CRLF that must follow chunk data.
    DataCrlf,
    /// After the last chunk: expecting trailer field lines or the final empty line.
    Trailer,
    Done,
    Failed(ChunkedError),
}

/// One parsing step over a slice; the caller consumes what it reports.
enum Step {
    /// This many framing bytes were parsed (always > 0).
    Framing(usize),
    /// This many body bytes are at the front (always > 0).
    Data(usize),
    NeedMore,
    Done,
}

/// Incremental decoder state for one chunked body.
#[derive(Debug)]
pub struct ChunkedDecoder {
    limits: ChunkedLimits,
    state: State,
    /// Bytes of the current (incomplete) line already searched for LF, so that byte-by-byte input
    /// does not make line scanning quadratic.
    scanned: usize,
    trailer_bytes: usize,
    body_len: u64,
}

impl ChunkedDecoder {
    /// Creates a decoder positioned at the first chunk-size line.
    pub fn new(limits: ChunkedLimits) -> Self {
        ChunkedDecoder {
            limits,
            state: State::Size,
            scanned: 0,
            trailer_bytes: 0,
            body_len: 0,
        }
    }

    /// Decode from the front of `buf`, removing consumed bytes from it. Call repeatedly; when it
    /// returns `NeedMore`, append more bytes to `buf` and call again. After `Done` (or an error),
    /// further calls return the same.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Decoded, ChunkedError> {
        loop {
            match self.step(buf)? {
                Step::Framing(n) => buf.advance(n),
                Step::Data(n) => return Ok(Decoded::Data(buf.split_to(n).freeze())),
                Step::NeedMore => return Ok(Decoded::NeedMore),
                Step::Done => return Ok(Decoded::Done),
            }
        }
    }

    /// True once the whole chunked body, including trailers and the final CRLF, was consumed.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Total body bytes produced so far (for enforcing the body-size limit by the caller).
    pub fn body_len(&self) -> u64 {
        self.body_len
    }

    /// Body bytes announced by the current chunk-size but not produced yet.
    fn pending(&self) -> u64 {
        match self.state {
            State::Data(n) => n,
            _ => 0,
        }
    }

    fn step(&mut self, input: &[u8]) -> Result<Step, ChunkedError> {
        let result = self.step_inner(input);
        if let Err(e) = &result {
            self.state = State::Failed(e.clone());
        }
        result
    }

    fn step_inner(&mut self, input: &[u8]) -> Result<Step, ChunkedError> {
        match self.state {
            State::Size => {
                // Fail fast on garbage instead of waiting for a whole line of it.
                if input.first().is_some_and(|b| !b.is_ascii_hexdigit()) {
                    return Err(ChunkedError::InvalidSize);
                }
                let max = self.limits.max_line;
                let Some(lf) = self.find_line(input, max, ChunkedError::LineTooLong)? else {
                    return Ok(Step::NeedMore);
                };
                let size = parse_size_line(&input[..lf - 1])?;
                // §7.1: a chunk-size of zero is the last-chunk, followed by the trailer section.
                self.state = if size == 0 {
                    State::Trailer
                } else {
                    State::Data(size)
                };
                Ok(Step::Framing(lf + 1))
            }
            State::Data(left) => {
                if input.is_empty() {
                    return Ok(Step::NeedMore);
                }
                // `n <= input.len()`, so the cast back to usize is lossless.
                let n = left.min(input.len() as u64);
                self.body_len = self.body_len.saturating_add(n);
                self.state = if n == left {
                    State::DataCrlf
                } else {
                    State::Data(left - n)
                };
                Ok(Step::Data(n as usize))
            }
            // §7.1: `chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF`, nothing else allowed.
            State::DataCrlf => match input {
                [b'\r', b'\n', ..] => {
                    self.state = State::Size;
                    Ok(Step::Framing(2))
                }
                [] | [b'\r'] => Ok(Step::NeedMore),
                _ => Err(ChunkedError::MissingCrlf),
            },
            State::Trailer => {
                // A field line plus its CRLF must fit in what is left of the budget.
                let left = self.limits.max_trailers.saturating_sub(self.trailer_bytes);
                let too_large = ChunkedError::TrailersTooLarge;
                let Some(lf) = self.find_line(input, left.saturating_sub(2), too_large)? else {
                    return Ok(Step::NeedMore);
                };
                let line = &input[..lf - 1];
                if line.is_empty() {
                    self.state = State::Done;
                } else {
                    validate_trailer(line)?;
                    self.trailer_bytes += lf + 1;
                }
                Ok(Step::Framing(lf + 1))
            }
            State::Done => Ok(Step::Done),
            State::Failed(ref e) => Err(e.clone()),
        }
    }

    /// Finds the LF ending the line at the front of `input`, whose content may be at most
    /// `max_len` bytes. Returns its index; the line is `input[..lf - 1]` (CR checked).
    fn find_line(
        &mut self,
        input: &[u8],
        max_len: usize,
        too_long: ChunkedError,
    ) -> Result<Option<usize>, ChunkedError> {
        let window_len = max_len.saturating_add(2);
        let window = &input[..input.len().min(window_len)];
        let start = self.scanned.min(window.len());
        match window[start..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.scanned = 0;
                let lf = start + i;
                // RFC 9112 §2.2 lets a recipient accept a bare LF, but in framing that is exactly
                // the kind of disagreement smuggling exploits, so only CRLF is accepted.
                if lf == 0 || window[lf - 1] != b'\r' {
                    return Err(ChunkedError::MissingCrlf);
                }
                Ok(Some(lf))
            }
            None if window.len() == window_len => Err(too_long),
            None => {
                self.scanned = window.len();
                Ok(None)
            }
        }
    }
}

/// `tchar` from RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Length of the longest prefix of `s` whose bytes all satisfy `f`.
fn span(s: &[u8], f: impl Fn(u8) -> bool) -> usize {
    s.iter().position(|&b| !f(b)).unwrap_or(s.len())
}

fn token_len(s: &[u8]) -> usize {
    span(s, is_tchar)
}

/// Strips leading BWS (SP / HTAB, RFC 9110 §5.6.3).
fn trim_bws(s: &[u8]) -> &[u8] {
    &s[span(s, |b| b == b' ' || b == b'\t')..]
}

/// Length of the quoted-string (RFC 9110 §5.6.4) at the front of `s`, which starts with `"`.
fn quoted_len(s: &[u8]) -> Result<usize, ChunkedError> {
    let text = |b: u8| b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80;
    let mut i = 1;
    while let Some(&b) = s.get(i) {
        match b {
            b'"' => return Ok(i + 1),
            b'\\' if s.get(i + 1).is_some_and(|&c| text(c)) => i += 2,
            _ if text(b) && b != b'\\' => i += 1,
            _ => break,
        }
    }
    Err(ChunkedError::InvalidExtension)
}

/// Parses `chunk-size [ chunk-ext ]` (RFC 9112 §7.1, §7.1.1), without the CRLF.
fn parse_size_line(line: &[u8]) -> Result<u64, ChunkedError> {
    let digits = span(line, |b| b.is_ascii_hexdigit());
    if digits == 0 {
        return Err(ChunkedError::InvalidSize);
    }
    let zeros = span(&line[..digits], |b| b == b'0');
    if digits - zeros > 16 {
        return Err(ChunkedError::SizeOverflow);
    }
    // At most 16 significant hex digits always fit in a u64.
    let size = line[zeros..digits].iter().fold(0u64, |acc, &b| {
        let d = (b as char).to_digit(16).unwrap_or(0);
        (acc << 4) | u64::from(d)
    });
    // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ); all ignored.
    let mut rest = &line[digits..];
    let mut first = true;
    while !rest.is_empty() {
        let Some(after_semi) = trim_bws(rest).strip_prefix(b";") else {
            // Whitespace (or junk) after the size that does not introduce an extension.
            return Err(if first {
                ChunkedError::InvalidSize
            } else {
                ChunkedError::InvalidExtension
            });
        };
        first = false;
        let name = trim_bws(after_semi);
        let name_len = token_len(name);
        if name_len == 0 {
            return Err(ChunkedError::InvalidExtension);
        }
        rest = &name[name_len..];
        if let Some(after_eq) = trim_bws(rest).strip_prefix(b"=") {
            let value = trim_bws(after_eq);
            let value_len = match value.first() {
                Some(b'"') => quoted_len(value)?,
                _ => token_len(value),
            };
            if value_len == 0 {
                return Err(ChunkedError::InvalidExtension);
            }
            rest = &value[value_len..];
        }
    }
    Ok(size)
}

/// Validates `field-name ":" OWS field-value OWS` (RFC 9110 §5.1, §5.5); the field is ignored.
fn validate_trailer(line: &[u8]) -> Result<(), ChunkedError> {
    // A leading SP/HTAB would be obs-fold, which RFC 9112 §5.2 lets us reject.
    let name_len = token_len(line);
    if name_len == 0 || line.get(name_len) != Some(&b':') {
        return Err(ChunkedError::InvalidTrailer);
    }
    let ok = |&b: &u8| b == b'\t' || (b >= 0x20 && b != 0x7f);
    if line[name_len + 1..].iter().all(ok) {
        Ok(())
    } else {
        Err(ChunkedError::InvalidTrailer)
    }
}

/// Convenience: decode a complete chunked body that is entirely in `buf` (used when the whole
/// request is already buffered). Returns `Ok(Some(body))` and removes exactly the chunked message
/// from `buf`; `Ok(None)` if the buffer does not yet hold the complete chunked body, leaving `buf`
/// unchanged; `Err` on malformed input, or [`ChunkedError::TooLarge`] as soon as the announced
/// chunk sizes exceed `max_body`.
pub fn decode_complete(
    buf: &mut BytesMut,
    limits: ChunkedLimits,
    max_body: u64,
) -> Result<Option<Bytes>, ChunkedError> {
    // Pass 1: scan without touching `buf`, so `None` can leave it unchanged.
    let mut scan = ChunkedDecoder::new(limits);
    let mut end = 0;
    loop {
        match scan.step(&buf[end..])? {
            Step::Framing(n) | Step::Data(n) => end += n,
            Step::NeedMore => return Ok(None),
            Step::Done => break,
        }
        if scan.body_len.saturating_add(scan.pending()) > max_body {
            return Err(ChunkedError::TooLarge);
        }
    }
    // Pass 2: the message is known to be complete and valid; cut it off and collect its data,
    // without copying when it is a single chunk.
    let total = scan.body_len;
    let mut msg = buf.split_to(end);
    let mut dec = ChunkedDecoder::new(limits);
    let mut body = BytesMut::new();
    while let Decoded::Data(data) = dec.decode(&mut msg)? {
        if data.len() as u64 == total {
            return Ok(Some(data));
        }
        if body.is_empty() {
            // `total` <= `end`, the size of a buffer we already hold, so this is bounded.
            body.reserve(usize::try_from(total).unwrap_or(0));
        }
        body.extend_from_slice(&data);
    }
    Ok(Some(body.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ChunkedError::*;

    type Outcome = (Vec<u8>, BytesMut, bool);

    /// Feeds `input` in pieces whose sizes cycle through `sizes`; returns (body, leftover, done).
    fn run_with(
        input: &[u8],
        sizes: &[usize],
        lim: ChunkedLimits,
    ) -> Result<Outcome, ChunkedError> {
        let (mut dec, mut buf, mut body) = (ChunkedDecoder::new(lim), BytesMut::new(), Vec::new());
        let (mut pos, mut i) = (0, 0);
        loop {
            match dec.decode(&mut buf)? {
                Decoded::Data(d) => {
                    assert!(!d.is_empty());
                    body.extend_from_slice(&d);
                    assert_eq!(dec.body_len(), body.len() as u64);
                }
                Decoded::Done => {
                    assert!(dec.is_done());
                    assert_eq!(dec.decode(&mut buf), Ok(Decoded::Done));
                    buf.extend_from_slice(&input[pos..]);
                    return Ok((body, buf, true));
                }
                Decoded::NeedMore if pos == input.len() => return Ok((body, buf, false)),
                Decoded::NeedMore => {
                    let n = sizes[i % sizes.len()].clamp(1, input.len() - pos);
                    buf.extend_from_slice(&input[pos..pos + n]);
                    (pos, i) = (pos + n, i + 1);
                }
            }
        }
    }

    /// Decodes `input` whole and byte by byte; both must give the same result.
    fn run(input: &[u8]) -> Result<Outcome, ChunkedError> {
        let whole = run_with(input, &[usize::MAX], ChunkedLimits::default());
        assert_eq!(
            whole,
            run_with(input, &[1], ChunkedLimits::default()),
            "{input:?}"
        );
        whole
    }

    #[test]
    fn accepts_valid_bodies() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"5\r\nhello\r\n0\r\n\r\n", b"hello"),
            (b"0\r\n\r\n", b""),
            (
                b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n",
                b"hello world",
            ),
            (b"000A\r\n0123456789\r\n0000\r\n\r\n", b"0123456789"), // leading zeros
            (b"5;a=b;c\r\nhello\r\n0;last\r\n\r\n", b"hello"),
            (
                b"5 ;\tn = \"q \\\"x\\\" ; \x80\" ; f\r\nhello\r\n0;e=\"\"\r\n\r\n",
                b"hello",
            ),
            (b"1\r\nx\r\n0\r\nX-A: 1\r\nSum:\tabc \r\nE:\r\n\r\n", b"x"), // trailers
        ];
        for &(input, body) in cases {
            assert_eq!(run(input), Ok((body.to_vec(), BytesMut::new(), true)));
        }
        assert_eq!(parse_size_line(b"0000ffffffffffffffff"), Ok(u64::MAX));
    }

    #[test]
    fn partial_data_is_returned_zero_copy_and_pipelined_bytes_stay() {
        let mut dec = ChunkedDecoder::new(ChunkedLimits::default());
        let mut buf = BytesMut::from(&b"5\r\nhel"[..]);
        let ptr = buf[3..].as_ptr();
        let Ok(Decoded::Data(d)) = dec.decode(&mut buf) else {
            panic!()
        };
        assert_eq!((&d[..], d.as_ptr()), (&b"hel"[..], ptr));
        assert_eq!(dec.decode(&mut buf), Ok(Decoded::NeedMore));
        buf.extend_from_slice(b"lo\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n");
        assert_eq!(
            dec.decode(&mut buf),
            Ok(Decoded::Data(Bytes::from_static(b"lo")))
        );
        assert_eq!(dec.decode(&mut buf), Ok(Decoded::Done));
        assert_eq!(
            (&buf[..], dec.body_len()),
            (&b"GET / HTTP/1.1\r\n\r\n"[..], 5)
        );
    }

    #[test]
    fn rejects_malformed_framing() {
        let mut long_size = b"1;a=".to_vec();
        long_size.resize(5000, b'a');
        let mut long_trailer = b"0\r\nX: ".to_vec();
        long_trailer.resize(9000, b'a');
        let many_trailers = [&b"0\r\n"[..], &b"A:b\r\n".repeat(2000)].concat();
        let cases: &[(&[u8], ChunkedError)] = &[
            (b"0x5\r\n", InvalidSize),
            (b"+5\r\n", InvalidSize),
            (b"-5\r\n", InvalidSize),
            (b" 5\r\n", InvalidSize),
            (b"5 \r\n", InvalidSize),
            (b"5\t\r\n", InvalidSize),
            (b"\r\n", InvalidSize),
            (b"5_0\r\n", InvalidSize),
            (b"g\r\n", InvalidSize),
            (b"5 x\r\n", InvalidSize),
            (b"5\r\r\n", InvalidSize),
            (b"5\0\r\n", InvalidSize),
            (b"10000000000000000\r\n", SizeOverflow), // 17 significant digits
            (b"ffffffffffffffffff\r\n", SizeOverflow),
            (&[b'0'; 5000], LineTooLong),
            (&long_size, LineTooLong),
            (b"5\nhello\r\n0\r\n\r\n", MissingCrlf),
            (b"5\r\nhelloX\r\n0\r\n\r\n", MissingCrlf),
            (b"5\r\nhello\n0\r\n\r\n", MissingCrlf),
            (b"5\r\nhello\r\r\n0\r\n\r\n", MissingCrlf),
            (b"0\r\n\n", MissingCrlf),
            (b"0\r\nA: b\n\r\n", MissingCrlf),
            (b"5;\0\r\n", InvalidExtension),
            (b"5;a=\0\r\n", InvalidExtension),
            (b"5;\r\n", InvalidExtension),
            (b"5;a=\r\n", InvalidExtension),
            (b"5;a \r\n", InvalidExtension),
            (b"5;a\rb\r\n", InvalidExtension),
            (b"5;a=\"x\r\n", InvalidExtension),
            (b"5;a=\"\x01\"\r\n", InvalidExtension),
            (b"5;a=\"\\\r\n", InvalidExtension),
            (b"5;a=b c\r\n", InvalidExtension),
            (b"5;a;\r\n", InvalidExtension),
            (b"0\r\nA: b\r\n c\r\n\r\n", InvalidTrailer), // obs-fold
            (b"0\r\n\tc\r\n\r\n", InvalidTrailer),
            (b"0\r\nBad Name: x\r\n\r\n", InvalidTrailer),
            (b"0\r\nA : x\r\n\r\n", InvalidTrailer),
            (b"0\r\n: x\r\n\r\n", InvalidTrailer),
            (b"0\r\nA\r\n\r\n", InvalidTrailer),
            (b"0\r\nA: \0\r\n", InvalidTrailer),
            (b"0\r\nA: \x1f\r\n\r\n", InvalidTrailer),
            (b"0\r\nA: a\x7f\r\n\r\n", InvalidTrailer),
            (b"0\r\nA: a\rb\r\n\r\n", InvalidTrailer),
            (&long_trailer, TrailersTooLarge),
            (&many_trailers, TrailersTooLarge),
        ];
        for &(input, ref e) in cases {
            assert_eq!(run(input).as_ref().err(), Some(e), "{input:?}");
        }
    }

    #[test]
    fn limits_are_exact_and_errors_stick() {
        let lim = |max_line, max_trailers| ChunkedLimits {
            max_line,
            max_trailers,
        };
        let done = |input: &[u8], l| run_with(input, &[1], l).map(|o| o.2);
        assert_eq!(done(b"0000\r\n\r\n", lim(4, 0)), Ok(true));
        assert_eq!(done(b"00000\r\n\r\n", lim(4, 0)), Err(LineTooLong));
        assert_eq!(done(b"0\r\nA:b\r\n\r\n", lim(4, 5)), Ok(true));
        assert_eq!(done(b"0\r\nA:b\r\n\r\n", lim(4, 4)), Err(TrailersTooLarge));
        let mut dec = ChunkedDecoder::new(ChunkedLimits::default());
        assert_eq!(dec.decode(&mut BytesMut::from(&b"z"[..])), Err(InvalidSize));
        assert_eq!(
            dec.decode(&mut BytesMut::from(&b"0\r\n\r\n"[..])),
            Err(InvalidSize)
        );
        assert_eq!(InvalidSize.to_string(), "invalid chunk size");
    }

    #[test]
    fn decode_complete_prefixes_full_and_limits() {
        let lim = ChunkedLimits::default();
        let msg = b"3;x=\"a\"\r\nabc\r\n02\r\nde\r\n0\r\nT: v\r\n\r\n";
        for len in 0..msg.len() {
            let mut buf = BytesMut::from(&msg[..len]);
            assert_eq!(decode_complete(&mut buf, lim, 100), Ok(None));
            assert_eq!(&buf[..], &msg[..len]);
        }
        let mut buf = BytesMut::from(&[&msg[..], b"NEXT"].concat()[..]);
        let got = decode_complete(&mut buf, lim, 5);
        assert_eq!(
            (got, &buf[..]),
            (Ok(Some(Bytes::from_static(b"abcde"))), &b"NEXT"[..])
        );
        assert_eq!(
            decode_complete(&mut BytesMut::from(&msg[..]), lim, 4),
            Err(TooLarge)
        );
        // A huge announced size is rejected before its data arrives.
        assert_eq!(
            decode_complete(&mut BytesMut::from(&b"ffff\r\n"[..]), lim, 100),
            Err(TooLarge)
        );
        let mut buf = BytesMut::from(&b"3\r\nabc\r\n0\r\n\r\n"[..]);
        let ptr = buf[3..].as_ptr();
        let got = decode_complete(&mut buf, lim, 3).unwrap().unwrap();
        assert_eq!((&got[..], got.as_ptr()), (&b"abc"[..], ptr)); // single chunk: zero-copy
    }

    /// Chunk-encodes `body` with chunk sizes cycling through `sizes`, `zeros` leading zeros on
    /// each size, optional extensions and the given trailers.
    fn encode(
        body: &[u8],
        sizes: &[usize],
        ext: bool,
        zeros: usize,
        trailers: &[(String, String)],
    ) -> Vec<u8> {
        let exts = [&b";a=b"[..], b" ; q = \"x\\\"y;\"", b";flag\t;k=v"];
        let (mut out, mut rest, mut i) = (Vec::new(), body, 0);
        while !rest.is_empty() {
            let (chunk, tail) = rest.split_at(sizes[i % sizes.len()].clamp(1, rest.len()));
            let hex = if i % 2 == 0 {
                format!("{:x}", chunk.len())
            } else {
                format!("{:X}", chunk.len())
            };
            out.extend_from_slice(format!("{}{hex}", "0".repeat(zeros)).as_bytes());
            out.extend_from_slice(if ext { exts[i % exts.len()] } else { b"" });
            out.extend_from_slice(&[b"\r\n", chunk, b"\r\n"].concat());
            (rest, i) = (tail, i + 1);
        }
        out.extend_from_slice(if ext { b"0;end\r\n" } else { b"0\r\n" });
        for (name, value) in trailers {
            out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    fn fuzz_byte() -> impl Strategy<Value = u8> {
        let interesting = b"0123456789aAfF;=:\t \"\\\r\nxX-".to_vec();
        prop_oneof![any::<u8>(), prop::sample::select(interesting)]
    }

    proptest! {
        #[test]
        fn roundtrip_with_any_fragmentation(
            body in prop::collection::vec(any::<u8>(), 0..600),
            sizes in prop::collection::vec(1usize..100, 1..5),
            (ext, zeros) in (any::<bool>(), 0usize..3),
            trailers in prop::collection::vec(("[A-Za-z][A-Za-z0-9-]{0,8}", "[ -~\t]{0,20}"), 0..3),
            frags in prop::collection::vec(1usize..40, 1..8),
            suffix in prop::collection::vec(any::<u8>(), 0..20),
            cut in any::<prop::sample::Index>(),
        ) {
            let (lim, msg) = (ChunkedLimits::default(), encode(&body, &sizes, ext, zeros, &trailers));
            let input = [&msg[..], &suffix].concat();
            let (got, rest, done) = run_with(&input, &frags, lim).unwrap();
            prop_assert!(done);
            prop_assert_eq!(&got, &body);
            prop_assert_eq!(&rest[..], &suffix[..]);
            let mut buf = BytesMut::from(&input[..]);
            prop_assert_eq!(decode_complete(&mut buf, lim, body.len() as u64), Ok(Some(body.into())));
            prop_assert_eq!(&buf[..], &suffix[..]);
            let prefix = &msg[..cut.index(msg.len())];
            let mut buf = BytesMut::from(prefix);
            prop_assert_eq!(decode_complete(&mut buf, lim, u64::MAX), Ok(None));
            prop_assert_eq!(&buf[..], prefix);
        }

        #[test]
        fn arbitrary_input_never_panics_and_terminates(
            random in prop::collection::vec(fuzz_byte(), 0..300),
            valid in prop::collection::vec(any::<u8>(), 0..50),
            mutations in prop::collection::vec((any::<prop::sample::Index>(), fuzz_byte()), 0..3),
            frags in prop::collection::vec(1usize..20, 1..5),
            small: bool,
        ) {
            let small_limits = ChunkedLimits { max_line: 6, max_trailers: 10 };
            let lim = if small { small_limits } else { ChunkedLimits::default() };
            let mut mutated = encode(&valid, &[7, 3], true, 1, &[("T".into(), "v".into())]);
            for (at, byte) in mutations {
                let i = at.index(mutated.len());
                mutated[i] = byte;
            }
            // The outcome must not depend on how the input is fragmented.
            for input in [&random, &mutated] {
                prop_assert_eq!(run_with(input, &frags, lim), run_with(input, &[usize::MAX], lim));
            }
            for input in [random, mutated] {
                let (mut dec, mut buf, mut pos, mut calls) = (ChunkedDecoder::new(lim), BytesMut::new(), 0, 0);
                loop {
                    // Every call either consumes, asks for more (and gets >= 1 byte), or ends.
                    calls += 1;
                    prop_assert!(calls <= 2 * input.len() + 2, "no progress");
                    let before = buf.len();
                    match dec.decode(&mut buf) {
                        Ok(Decoded::Data(d)) => prop_assert!(!d.is_empty() && buf.len() < before),
                        Ok(Decoded::NeedMore) if pos < input.len() => {
                            let n = frags[calls % frags.len()].min(input.len() - pos);
                            buf.extend_from_slice(&input[pos..pos + n]);
                            pos += n;
                        }
                        end => {
                            prop_assert_eq!(end, dec.decode(&mut buf)); // sticky
                            break;
                        }
                    }
                }
                let mut buf = BytesMut::from(&input[..]);
                if let Ok(None) = decode_complete(&mut buf, lim, 1000) {
                    prop_assert_eq!(&buf[..], &input[..]);
                }
            }
        }
    }
}
