//! The incremental chunked decoder against arbitrary bytes in arbitrary fragments, and `decode_complete`
//! against the incremental decoder.
//!
//! Input layout: `[flags] [max_body] [n] [body ...] [frag_1 .. frag_n]`.
//! - `flags` bit 0 set: small limits, `max_line = (flags >> 1) & 0xf`, `max_trailers = (flags >> 5) * 4`;
//!   clear: `ChunkedLimits::default()`.
//! - `max_body`: the limit given to the bounded `decode_complete` run is `max_body * 4` bytes.
//! - `n` fragment sizes are taken from the end (clamped); fragment `f` feeds `f + 1` bytes, cycling; with
//!   `n == 0` the body is fed whole.
//!
//! Checks:
//! - every `decode` call returns (bounded number of calls: each one consumes, or asks for input it then gets,
//!   or ends); `Data` is never empty and always comes out of the buffer; `body_len()` equals the bytes produced;
//! - `Done` and errors are sticky; `is_done()` iff `Done`;
//! - `decode_complete(whole, limits, u64::MAX)` agrees: `Ok(Some(body))` with the same body and the same
//!   leftover iff the incremental run finished, the same error iff it failed, `Ok(None)` with the buffer
//!   untouched iff it needed more;
//! - the bounded `decode_complete(whole, limits, m)` is either the unbounded result, or `TooLarge` where the
//!   unbounded result is not a body of at most `m` bytes.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use micro_http_core::parse::chunked::{decode_complete, ChunkedDecoder, ChunkedError, ChunkedLimits, Decoded};

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Body, and the bytes after the chunked message (buffered + not yet fed).
    Done(Vec<u8>, Vec<u8>),
    Failed(ChunkedError),
    NeedMore,
}

fn incremental(data: &[u8], frags: &[u8], limits: ChunkedLimits) -> Outcome {
    let mut dec = ChunkedDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    let mut fed = 0;
    let mut next_frag = 0;
    let mut calls = 0usize;
    loop {
        calls += 1;
        assert!(calls <= 2 * data.len() + 4, "decoder makes no progress");
        let before = buf.len();
        match dec.decode(&mut buf) {
            Ok(Decoded::Data(d)) => {
                assert!(!d.is_empty(), "empty Data");
                assert!(buf.len() + d.len() <= before, "Data not taken out of the buffer");
                body.extend_from_slice(&d);
                assert_eq!(dec.body_len(), body.len() as u64, "body_len() disagrees with the data produced");
                assert!(!dec.is_done());
            }
            Ok(Decoded::Done) => {
                assert!(dec.is_done());
                assert_eq!(dec.decode(&mut buf), Ok(Decoded::Done), "Done is not sticky");
                assert_eq!(dec.body_len(), body.len() as u64);
                let mut rest = buf.to_vec();
                rest.extend_from_slice(&data[fed..]);
                return Outcome::Done(body, rest);
            }
            Ok(Decoded::NeedMore) => {
                assert!(!dec.is_done());
                assert!(buf.len() <= before, "NeedMore grew the buffer");
                if fed == data.len() {
                    return Outcome::NeedMore;
                }
                let step = if frags.is_empty() {
                    data.len()
                } else {
                    let f = usize::from(frags[next_frag % frags.len()]) + 1;
                    next_frag += 1;
                    f
                };
                let end = (fed + step).min(data.len());
                buf.extend_from_slice(&data[fed..end]);
                fed = end;
            }
            Err(e) => {
                assert!(!dec.is_done());
                assert_eq!(dec.decode(&mut buf), Err(e.clone()), "error is not sticky");
                return Outcome::Failed(e);
            }
        }
    }
}

fn complete(data: &[u8], limits: ChunkedLimits, max_body: u64) -> (Result<Option<Bytes>, ChunkedError>, BytesMut) {
    let mut buf = BytesMut::from(data);
    let r = decode_complete(&mut buf, limits, max_body);
    (r, buf)
}

fuzz_target!(|input: &[u8]| {
    let [flags, max_body, n, rest @ ..] = input else {
        return;
    };
    let limits = if flags & 1 == 1 {
        ChunkedLimits {
            max_line: usize::from((flags >> 1) & 0x0f),
            max_trailers: usize::from(flags >> 5) * 4,
        }
    } else {
        ChunkedLimits::default()
    };
    let max_body = u64::from(*max_body) * 4;
    let n = usize::from(*n).min(rest.len());
    let (data, frags) = rest.split_at(rest.len() - n);

    let inc = incremental(data, frags, limits);
    // Fed whole, the incremental decoder must reach the same outcome.
    if !frags.is_empty() {
        assert_eq!(inc, incremental(data, &[], limits), "fragmentation changed the outcome");
    }

    let (whole, left) = complete(data, limits, u64::MAX);
    match (&inc, &whole) {
        (Outcome::Done(body, rest), Ok(Some(b))) => {
            assert_eq!(&b[..], &body[..], "decode_complete body differs");
            assert_eq!(&left[..], &rest[..], "decode_complete leftover differs");
        }
        (Outcome::Failed(e), Err(e2)) => assert_eq!(e, e2, "decode_complete error differs"),
        (Outcome::NeedMore, Ok(None)) => assert_eq!(&left[..], data, "Ok(None) changed the buffer"),
        _ => panic!("incremental {inc:?} but decode_complete {whole:?}"),
    }
    if whole.is_err() {
        assert_eq!(&left[..], data, "error changed the buffer");
    }

    let (bounded, bleft) = complete(data, limits, max_body);
    match (&bounded, &whole) {
        (Err(ChunkedError::TooLarge), Ok(Some(b))) => {
            assert!(b.len() as u64 > max_body, "TooLarge for a body of {} <= {max_body}", b.len())
        }
        (Err(ChunkedError::TooLarge), _) => {}
        (Ok(Some(b)), _) => {
            assert!(b.len() as u64 <= max_body, "body of {} over the limit {max_body}", b.len());
            assert_eq!(&bounded, &whole);
            assert_eq!(bleft, left);
        }
        _ => {
            assert_eq!(&bounded, &whole, "bounded decode_complete differs (limit {max_body})");
            assert_eq!(bleft, left);
        }
    }
    if let Ok(Some(b)) = &whole {
        if b.len() as u64 <= max_body {
            assert_eq!(bounded, whole, "a body within the limit was refused");
        }
    }
});
