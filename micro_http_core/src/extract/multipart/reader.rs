//! [`PartReader`]: the `multipart/form-data` body cut into parts as it streams in (RFC 2046 §5.1.1).
//!
//! The buffer holds only what has not been handed out yet: a part head while it is incomplete (at most
//! [`MAX_PART_HEAD`] bytes), or a field's data up to the point where a delimiter could begin. The rest of a
//! body is never held, so memory stays bounded whatever the body's size.

use std::future::poll_fn;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use http::StatusCode;
use memchr::memmem::{self, Finder};

use super::head::{PartHead, MAX_PART_FIELDS};
use crate::body::Body;
use crate::extract::Rejection;

/// The largest part head (its header fields and the blank line) accepted.
pub(super) const MAX_PART_HEAD: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter: the preamble is skipped.
    Preamble,
    /// Just after a delimiter: `--` ends the body, else optional padding and CRLF start a part head.
    Delimiter,
    /// Reading a part's head.
    Head,
    /// In the data of the current field.
    Data,
    /// After the close delimiter: the epilogue is ignored.
    Done,
}

/// Cuts a body into parts. Fields are numbered in order; a field's data can be read only while it is the
/// current one.
pub(super) struct PartReader {
    body: Body,
    buf: BytesMut,
    body_ended: bool,
    /// `CRLF--boundary`: every delimiter, the first too, since the buffer starts with a CRLF of our own.
    delimiter: Finder<'static>,
    state: State,
    /// The error that stopped the reader, returned again to every later call.
    failed: Option<Rejection>,
    field: u64,
    field_read: u64,
    /// How much of the buffer is known to hold no blank line yet, while in a part head.
    head_scanned: usize,
    pub(super) field_limit: u64,
}

impl PartReader {
    pub(super) fn new(body: Body, boundary: &str, field_limit: u64) -> PartReader {
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary.as_bytes());
        PartReader {
            body,
            // A body may open with its first delimiter, which then has no CRLF before it (RFC 2046: the
            // CRLF belongs to the delimiter, and the first one may come without).
            buf: BytesMut::from(&b"\r\n"[..]),
            body_ended: false,
            delimiter: Finder::new(&delimiter).into_owned(),
            state: State::Preamble,
            failed: None,
            field: 0,
            field_read: 0,
            head_scanned: 0,
            field_limit,
        }
    }

    /// The number (1 for the first) and head of the next part, skipping what is left of the current field;
    /// `None` after the last part. The number is what [`poll_field_data`](Self::poll_field_data) takes.
    pub(super) fn poll_next_part(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<(u64, PartHead)>, Rejection>> {
        loop {
            if let Some(e) = &self.failed {
                return Poll::Ready(Err(e.clone()));
            }
            let step = match self.state {
                State::Done => return Poll::Ready(Ok(None)),
                State::Preamble | State::Data => Ok(self.skip_to_delimiter()),
                State::Delimiter => self.after_delimiter(),
                State::Head => match self.head() {
                    Ok(Some(head)) => return Poll::Ready(Ok(Some((self.field, head)))),
                    Ok(None) => Ok(false),
                    Err(e) => Err(e),
                },
            };
            match step {
                Ok(true) => {}
                Ok(false) => {
                    if let Err(e) = ready!(self.poll_fill(cx)) {
                        self.failed = Some(e);
                    }
                }
                Err(e) => self.failed = Some(e),
            }
        }
    }

    /// The next piece of field `field`'s data; `None` at its end, or once another field has begun.
    pub(super) fn poll_field_data(
        &mut self,
        cx: &mut Context<'_>,
        field: u64,
    ) -> Poll<Result<Option<Bytes>, Rejection>> {
        loop {
            if let Some(e) = &self.failed {
                return Poll::Ready(Err(e.clone()));
            }
            if field != self.field || self.state != State::Data {
                return Poll::Ready(Ok(None));
            }
            match self.data() {
                Some(mut data) => {
                    // Exactly the first `field_limit` bytes are handed out, however the body was cut into
                    // chunks; the call after them fails.
                    // Saturating: the limit may have been lowered below what this field already gave.
                    let room = self.field_limit.saturating_sub(self.field_read);
                    if data.len() as u64 > room {
                        self.failed = Some(Rejection::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            format!(
                                "multipart field larger than the limit of {} bytes",
                                self.field_limit
                            ),
                        ));
                        if room == 0 {
                            continue;
                        }
                        data.truncate(room as usize);
                    }
                    self.field_read += data.len() as u64;
                    return Poll::Ready(Ok(Some(data)));
                }
                None if self.state != State::Data => return Poll::Ready(Ok(None)),
                None => {
                    if let Err(e) = ready!(self.poll_fill(cx)) {
                        self.failed = Some(e);
                    }
                }
            }
        }
    }

    /// Appends the body's next chunk to the buffer; an error if the body ended or failed.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Rejection>> {
        if self.body_ended {
            return Poll::Ready(Err(Rejection::bad_request(
                "invalid multipart body: it ends before its closing boundary",
            )));
        }
        match ready!(self.body.poll_chunk(cx)) {
            Some(Ok(chunk)) => self.buf.extend_from_slice(&chunk),
            Some(Err(e)) => {
                return Poll::Ready(Err(Rejection::new(
                    e.status(),
                    format!("invalid multipart body: {e}"),
                )))
            }
            None => self.body_ended = true,
        }
        Poll::Ready(Ok(()))
    }

    /// The field data in the buffer up to the next delimiter, or up to where one could begin. At a delimiter
    /// the state moves on; `None` with the state still `Data` asks for more of the body.
    fn data(&mut self) -> Option<Bytes> {
        if let Some(at) = self.delimiter.find(&self.buf) {
            let data = self.buf.split_to(at).freeze();
            self.buf.advance(self.delimiter.needle().len());
            self.state = State::Delimiter;
            return (!data.is_empty()).then_some(data);
        }
        // The last `delimiter - 1` bytes could be the start of a delimiter split across chunks.
        let keep = self.delimiter.needle().len() - 1;
        (self.buf.len() > keep).then(|| self.buf.split_to(self.buf.len() - keep).freeze())
    }

    /// Drops data up to the next delimiter (the preamble, or the unread rest of a field). `true` once past it.
    fn skip_to_delimiter(&mut self) -> bool {
        let was = self.state;
        self.state = State::Data;
        loop {
            let dropped = self.data();
            if self.state != State::Data {
                return true;
            }
            if dropped.is_none() {
                self.state = was;
                return false;
            }
        }
    }

    /// After a delimiter: `--` closes the body; otherwise linear white space (transport padding) and CRLF
    /// begin the next part's head. `Ok(false)` asks for more of the body.
    fn after_delimiter(&mut self) -> Result<bool, Rejection> {
        if self.buf.starts_with(b"--") {
            self.state = State::Done;
            self.buf.clear();
            return Ok(true);
        }
        let padding = self
            .buf
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let rest = &self.buf[padding..];
        if rest.starts_with(b"\r\n") {
            self.buf.advance(padding + 2);
            self.state = State::Head;
            self.head_scanned = 0;
            return Ok(true);
        }
        // Still incomplete if what arrived can become `--`, or padding and CRLF.
        let incomplete = rest.is_empty() || rest == b"\r" || (padding == 0 && rest == b"-");
        if incomplete && padding <= MAX_PART_HEAD {
            return Ok(false);
        }
        Err(Rejection::bad_request(
            "invalid multipart body: a boundary is followed by neither `--` nor a line break",
        ))
    }

    /// Parses the part head in the buffer; `Ok(None)` while it is incomplete.
    fn head(&mut self) -> Result<Option<PartHead>, Rejection> {
        // A head ends at a blank line. Until one can have arrived it is not parsed again, or a head trickled in
        // byte by byte would be parsed once per byte.
        let from = self.head_scanned.saturating_sub(2);
        let ended = self.buf.starts_with(b"\n")
            || self.buf.starts_with(b"\r\n")
            || memmem::find(&self.buf[from..], b"\n\n").is_some()
            || memmem::find(&self.buf[from..], b"\n\r\n").is_some();
        if !ended && self.buf.len() <= MAX_PART_HEAD {
            self.head_scanned = self.buf.len();
            return Ok(None);
        }
        // What lies past the limit is not looked at, so the verdict does not depend on how much has arrived.
        let head = &self.buf[..self.buf.len().min(MAX_PART_HEAD + 1)];
        let mut fields = [httparse::EMPTY_HEADER; MAX_PART_FIELDS];
        match httparse::parse_headers(head, &mut fields) {
            Ok(httparse::Status::Complete((len, fields))) if len <= MAX_PART_HEAD => {
                let head = PartHead::from_fields(fields);
                self.buf.advance(len);
                self.state = State::Data;
                self.field += 1;
                self.field_read = 0;
                Ok(Some(head))
            }
            Ok(httparse::Status::Partial) if self.buf.len() <= MAX_PART_HEAD => Ok(None),
            Ok(_) => Err(Rejection::bad_request(format!(
                "invalid multipart body: a part head is larger than {MAX_PART_HEAD} bytes"
            ))),
            Err(httparse::Error::TooManyHeaders) => Err(Rejection::bad_request(format!(
                "invalid multipart body: a part has more than {MAX_PART_FIELDS} header fields"
            ))),
            Err(e) => Err(Rejection::bad_request(format!(
                "invalid multipart body: a part head is malformed ({e})"
            ))),
        }
    }
}

/// Fuzz entry point (not a public API): `[piece size] [field limit] [body ...]` is read whole and in pieces of
/// `(piece size % 64) + 1` bytes with boundary `XYZ`; panics unless both readings give the same parts and the
/// same error, and no field got past the limit.
#[doc(hidden)]
pub fn fuzz_read(data: &[u8]) {
    let [piece, limit, body @ ..] = data else {
        return;
    };
    let limit = u64::from(*limit);
    let whole = read_all(vec![body.to_vec()], "XYZ", limit);
    let pieces = read_all(
        body.chunks(usize::from(piece % 64) + 1)
            .map(<[u8]>::to_vec)
            .collect(),
        "XYZ",
        limit,
    );
    assert_eq!(
        whole, pieces,
        "the same body read differently whole and in pieces"
    );
    assert!(
        whole.0.iter().all(|(_, data)| data.len() as u64 <= limit),
        "a field got past its limit"
    );
}

/// Every part (head and data) of `chunks` read through a streaming body, and the error that ended the
/// reading, if one did.
fn read_all(
    chunks: Vec<Vec<u8>>,
    boundary: &str,
    field_limit: u64,
) -> (Vec<(PartHead, Vec<u8>)>, Option<Rejection>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let (body, feed) = Body::streaming(u64::MAX);
        tokio::spawn(async move {
            if feed.demand.await.is_ok() {
                for chunk in chunks {
                    if feed.tx.send(Ok(chunk.into())).await.is_err() {
                        break;
                    }
                }
            }
        });
        let mut reader = PartReader::new(body, boundary, field_limit);
        let mut parts = Vec::new();
        loop {
            let (field, head) = match poll_fn(|cx| reader.poll_next_part(cx)).await {
                Ok(Some(part)) => part,
                Ok(None) => return (parts, None),
                Err(e) => return (parts, Some(e)),
            };
            let mut data = Vec::new();
            loop {
                match poll_fn(|cx| reader.poll_field_data(cx, field)).await {
                    Ok(Some(piece)) => data.extend_from_slice(&piece),
                    Ok(None) => break,
                    Err(e) => {
                        parts.push((head, data));
                        return (parts, Some(e));
                    }
                }
            }
            parts.push((head, data));
        }
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn whole(body: &[u8]) -> (Vec<(PartHead, Vec<u8>)>, Option<Rejection>) {
        read_all(vec![body.to_vec()], "XYZ", u64::MAX)
    }

    fn bytewise(body: &[u8]) -> (Vec<(PartHead, Vec<u8>)>, Option<Rejection>) {
        read_all(body.iter().map(|&b| vec![b]).collect(), "XYZ", u64::MAX)
    }

    fn named(name: &str) -> PartHead {
        PartHead {
            name: Some(name.to_string()),
            ..PartHead::default()
        }
    }

    fn error(outcome: &(Vec<(PartHead, Vec<u8>)>, Option<Rejection>)) -> (u16, &str) {
        let e = outcome.1.as_ref().expect("an error");
        (e.status().as_u16(), e.message())
    }

    const TWO_FIELDS: &[u8] = b"preamble, ignored\r\n--XYZ \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\
        one\r\n--XYZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n\r\n--XY\r\n-XYZ--\r\n\r\n--XYZ--\r\nepilogue, ignored";

    #[test]
    fn preamble_padding_and_epilogue_are_not_data() {
        for outcome in [whole(TWO_FIELDS), bytewise(TWO_FIELDS)] {
            assert_eq!(outcome.1, None);
            assert_eq!(
                outcome.0,
                vec![
                    (named("a"), b"one".to_vec()),
                    (named("b"), b"\r\n--XY\r\n-XYZ--\r\n".to_vec())
                ]
            );
        }
    }

    #[test]
    fn empty_fields_and_a_part_without_fields() {
        let body =
            b"--XYZ\r\n\r\n\r\n--XYZ\r\nContent-Disposition: form-data; name=e\r\n\r\n\r\n--XYZ--";
        let outcome = bytewise(body);
        assert_eq!(outcome.1, None);
        assert_eq!(
            outcome.0,
            vec![(PartHead::default(), vec![]), (named("e"), vec![])]
        );
    }

    #[test]
    fn a_body_without_closing_boundary_is_400() {
        for body in [
            &b""[..],
            b"no boundary at all",
            b"--XYZ\r\nContent-Disposition: form-data; name=a\r\n\r\nunfinished",
            b"--XYZ\r\nContent-Disposition: form-data; name=a\r\n\r\nfinished\r\n--XYZ",
            b"--XYZ\r\nContent-Disposition: form-data; name=a\r\n\r\nfinished\r\n--XYZ-",
            b"--XYZ\r\nContent-Disposition: form-data; name=a\r\n",
        ] {
            for outcome in [whole(body), bytewise(body)] {
                assert_eq!(
                    error(&outcome),
                    (
                        400,
                        "invalid multipart body: it ends before its closing boundary"
                    )
                );
            }
        }
    }

    #[test]
    fn a_boundary_followed_by_other_bytes_is_400() {
        let outcome =
            whole(b"--XYZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XYZtail\r\n");
        assert_eq!(outcome.0, vec![(named("a"), b"x".to_vec())]);
        assert_eq!(error(&outcome).0, 400);
        assert_eq!(error(&bytewise(b"--XYZ -\r\n")).0, 400);
    }

    #[test]
    fn malformed_too_large_or_too_many_part_fields_are_400() {
        assert_eq!(
            error(&whole(b"--XYZ\r\nno colon here\r\n\r\n\r\n--XYZ--")).0,
            400
        );
        let many = format!(
            "--XYZ\r\n{}\r\n\r\n--XYZ--",
            "X-A: b\r\n".repeat(MAX_PART_FIELDS + 1)
        );
        assert_eq!(
            error(&whole(many.as_bytes())).1,
            format!("invalid multipart body: a part has more than {MAX_PART_FIELDS} header fields")
        );
        // Too large, with or without a malformed byte past the limit, however it arrives.
        let big = format!(
            "--XYZ\r\nX-A: {}\r\n\r\n\r\n--XYZ--",
            "b".repeat(MAX_PART_HEAD)
        );
        let bad_past_limit = format!(
            "--XYZ\r\nX-A: {}\u{1}\r\n\r\n\r\n--XYZ--",
            "b".repeat(MAX_PART_HEAD)
        );
        for big in [big, bad_past_limit] {
            let pieces = big.as_bytes().chunks(1000).map(<[u8]>::to_vec).collect();
            for outcome in [whole(big.as_bytes()), read_all(pieces, "XYZ", u64::MAX)] {
                assert_eq!(
                    error(&outcome).1,
                    format!(
                        "invalid multipart body: a part head is larger than {MAX_PART_HEAD} bytes"
                    )
                );
            }
        }
        // A large valid head trickled in byte by byte.
        let large = format!(
            "--XYZ\r\nContent-Disposition: form-data; name=a\r\nX-A: {}\r\n\r\nv\r\n--XYZ--",
            "b".repeat(MAX_PART_HEAD - 100)
        );
        assert_eq!(
            bytewise(large.as_bytes()),
            (vec![(named("a"), b"v".to_vec())], None)
        );
        let padded = format!("--XYZ{}", " ".repeat(MAX_PART_HEAD + 1));
        assert_eq!(error(&whole(padded.as_bytes())).0, 400);
    }

    #[test]
    fn a_field_over_the_limit_is_413_and_stays_so() {
        let body = b"--XYZ\r\nContent-Disposition: form-data; name=a\r\n\r\n0123456789\r\n--XYZ--";
        let fits = read_all(vec![body.to_vec()], "XYZ", 10);
        assert_eq!(fits, (vec![(named("a"), b"0123456789".to_vec())], None));
        for chunks in [vec![body.to_vec()], body.iter().map(|&b| vec![b]).collect()] {
            let outcome = read_all(chunks, "XYZ", 9);
            assert_eq!(
                error(&outcome),
                (413, "multipart field larger than the limit of 9 bytes")
            );
            assert!(outcome.0[0].1.len() <= 9);
        }
    }

    #[test]
    fn the_body_error_keeps_its_status() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (body, feed) = Body::streaming(4);
            tokio::spawn(async move {
                let _ = feed.demand.await;
                let _ = feed.tx.send(Ok(Bytes::from_static(b"--XYZ\r\n\r\n"))).await;
                let _ = feed
                    .tx
                    .send(Err(crate::BodyError::TooLarge { limit: 4 }))
                    .await;
            });
            let mut reader = PartReader::new(body, "XYZ", u64::MAX);
            assert!(poll_fn(|cx| reader.poll_next_part(cx))
                .await
                .unwrap()
                .is_some());
            let e = poll_fn(|cx| reader.poll_field_data(cx, 1))
                .await
                .unwrap_err();
            assert_eq!(e.status(), StatusCode::PAYLOAD_TOO_LARGE);
            let again = poll_fn(|cx| reader.poll_next_part(cx)).await.unwrap_err();
            assert_eq!(again, e);
        });
    }

    #[test]
    fn an_unread_field_is_skipped_and_then_reads_as_ended() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut reader = PartReader::new(Body::from_bytes(TWO_FIELDS), "XYZ", u64::MAX);
            assert_eq!(
                poll_fn(|cx| reader.poll_next_part(cx)).await.unwrap(),
                Some((1, named("a")))
            );
            assert_eq!(
                poll_fn(|cx| reader.poll_next_part(cx)).await.unwrap(),
                Some((2, named("b")))
            );
            assert_eq!(
                poll_fn(|cx| reader.poll_field_data(cx, 1)).await.unwrap(),
                None
            );
            let data = poll_fn(|cx| reader.poll_field_data(cx, 2))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(&data[..], b"\r\n--XY\r\n-XYZ--\r\n");
            assert_eq!(poll_fn(|cx| reader.poll_next_part(cx)).await.unwrap(), None);
        });
    }

    /// A field's data as a client could send it: bytes that come close to the delimiter are likely.
    fn data() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b"\r".to_vec()),
                Just(b"\n".to_vec()),
                Just(b"-".to_vec()),
                Just(b"\r\n--".to_vec()),
                Just(b"\r\n--bo".to_vec()),
                Just(b"--bound".to_vec()),
                Just(b"\r\n--boundar".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..8),
            ],
            0..12,
        )
        .prop_map(|pieces| pieces.concat())
    }

    fn cut(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut at: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        at.sort_unstable();
        at.push(bytes.len());
        let mut start = 0;
        at.into_iter()
            .map(|end| {
                let piece = bytes[start..end].to_vec();
                start = end;
                piece
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever the fields hold and however the body is cut into chunks, every field comes back as sent.
        #[test]
        fn fields_come_back_as_sent(
            fields in proptest::collection::vec(("[a-z]{1,8}", proptest::option::of("[ -~&&[^\"\\\\]]{0,12}"), data()), 0..5),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let mut body = b"\r\npreamble".to_vec();
            for (name, file_name, data) in &fields {
                body.extend_from_slice(b"\r\n--boundary\r\nContent-Disposition: form-data; name=\"");
                body.extend_from_slice(name.as_bytes());
                if let Some(file_name) = file_name {
                    body.extend_from_slice(format!("\"; filename=\"{file_name}").as_bytes());
                }
                body.extend_from_slice(b"\"\r\n\r\n");
                body.extend_from_slice(data);
            }
            body.extend_from_slice(b"\r\n--boundary--\r\n");
            // A client picks a boundary its data does not contain.
            prop_assume!(fields.iter().all(|(_, _, data)| !data.windows(12).any(|w| w == b"\r\n--boundary")));
            let (parts, error) = read_all(cut(&body, &cuts), "boundary", u64::MAX);
            prop_assert_eq!(error, None);
            let expected: Vec<_> = fields
                .into_iter()
                .map(|(name, file_name, data)| (PartHead { name: Some(name), file_name, content_type: None }, data))
                .collect();
            prop_assert_eq!(parts, expected);
        }

        /// Any bytes at all: the reading ends (no panic, no hang) with the same parts and error however the
        /// body is cut.
        #[test]
        fn any_body_reads_the_same_in_any_chunks(
            pieces in proptest::collection::vec(
                prop_oneof![Just(b"\r\n--XYZ".to_vec()), Just(b"--".to_vec()), Just(b"\r\n".to_vec()), Just(b"\r\n\r\n".to_vec()),
                    Just(b"Content-Disposition: form-data; name=\"a\"".to_vec()), proptest::collection::vec(any::<u8>(), 0..6)],
                0..16),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let body = pieces.concat();
            prop_assert_eq!(read_all(cut(&body, &cuts), "XYZ", 8), read_all(vec![body], "XYZ", 8));
        }
    }
}
