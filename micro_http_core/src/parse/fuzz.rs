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
