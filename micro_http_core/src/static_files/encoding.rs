//! Choosing a precompressed sibling (`site.css.br`, `site.css.gz`) from `Accept-Encoding` (RFC 9110 §12.5.3).

use http::HeaderValue;

/// A content coding with a precompressed sibling file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Encoding {
    /// Brotli: `file.br`.
    Br,
    /// Gzip: `file.gz`.
    Gzip,
}

impl Encoding {
    /// The suffix of the sibling file.
    pub(crate) fn file_suffix(self) -> &'static str {
        match self {
            Encoding::Br => ".br",
            Encoding::Gzip => ".gz",
        }
    }

    /// The suffix that sets the sibling's ETag apart from the identity file's.
    pub(crate) fn etag_suffix(self) -> &'static str {
        match self {
            Encoding::Br => "-br",
            Encoding::Gzip => "-gz",
        }
    }

    /// The `Content-Encoding` value.
    pub(crate) fn header_value(self) -> HeaderValue {
        match self {
            Encoding::Br => HeaderValue::from_static("br"),
            Encoding::Gzip => HeaderValue::from_static("gzip"),
        }
    }
}

/// The codings the client accepts, best first: by q-value, `br` before `gzip` on a tie. `q=0` excludes a
/// coding; `*` stands for every coding not named. An unparsable element is skipped.
pub(crate) fn preferred<'a>(values: impl Iterator<Item = &'a [u8]>) -> Vec<Encoding> {
    // q-values in thousandths, so they compare exactly.
    let (mut br, mut gzip, mut any) = (None::<u16>, None::<u16>, None::<u16>);
    for value in values {
        let Ok(value) = std::str::from_utf8(value) else {
            continue;
        };
        for element in value.split(',') {
            let mut parts = element.split(';');
            let coding = parts.next().unwrap_or("").trim();
            if coding.is_empty() {
                continue;
            }
            let Some(q) = qvalue(parts) else {
                continue;
            };
            let slot = if coding.eq_ignore_ascii_case("br") {
                &mut br
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if coding == "*" {
                &mut any
            } else {
                continue;
            };
            *slot = Some(q);
        }
    }
    let mut out: Vec<(Encoding, u16)> =
        [(Encoding::Br, br.or(any)), (Encoding::Gzip, gzip.or(any))]
            .into_iter()
            .filter_map(|(e, q)| q.filter(|&q| q > 0).map(|q| (e, q)))
            .collect();
    // Stable: on equal q, br (listed first) stays first.
    out.sort_by_key(|&(_, q)| std::cmp::Reverse(q));
    out.into_iter().map(|(e, _)| e).collect()
}

/// The `q` parameter among `params` in thousandths (1000 without one); `None` if it is malformed.
fn qvalue<'a>(params: impl Iterator<Item = &'a str>) -> Option<u16> {
    for param in params {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("q") {
            continue;
        }
        // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )  (RFC 9110 §12.4.2)
        let value = value.trim();
        let (int, frac) = value.split_once('.').unwrap_or((value, ""));
        if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let frac_thousandths = frac
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(3)
            .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
        return match int {
            "0" => Some(frac_thousandths),
            "1" if frac_thousandths == 0 => Some(1000),
            _ => None,
        };
    }
    Some(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::{Br, Gzip};

    fn pref(v: &str) -> Vec<Encoding> {
        preferred(std::iter::once(v.as_bytes()))
    }

    #[test]
    fn br_wins_ties_and_q_orders() {
        assert_eq!(pref("gzip, deflate, br"), vec![Br, Gzip]);
        assert_eq!(pref("gzip;q=1.0, br;q=0.5"), vec![Gzip, Br]);
        assert_eq!(pref("br;q=0.8, gzip;q=0.8"), vec![Br, Gzip]);
        assert_eq!(pref("GZIP"), vec![Gzip]);
        assert_eq!(pref("x-gzip"), vec![Gzip]);
    }

    #[test]
    fn q_zero_excludes_and_star_fills_in() {
        assert_eq!(pref("br;q=0, gzip"), vec![Gzip]);
        assert_eq!(pref("*"), vec![Br, Gzip]);
        assert_eq!(pref("*;q=0.5, br;q=0"), vec![Gzip]);
        assert_eq!(pref("gzip;q=0, *"), vec![Br]);
        assert_eq!(pref("identity"), vec![]);
        assert_eq!(pref(""), vec![]);
        assert_eq!(pref("br;q=0.000"), vec![]);
    }

    #[test]
    fn malformed_elements_are_skipped() {
        assert_eq!(pref("br;q=2, gzip"), vec![Gzip]);
        assert_eq!(pref("br;q=abc, gzip;q=0.5"), vec![Gzip]);
        assert_eq!(pref("br;q=0.1234"), vec![]);
        assert_eq!(pref("br;q, gzip"), vec![Gzip]);
        assert_eq!(pref(" br ; q = 0.5 , gzip ; q=0.4"), vec![Br, Gzip]);
    }

    #[test]
    fn several_field_lines_combine() {
        let lines: [&[u8]; 2] = [b"gzip", b"br"];
        assert_eq!(preferred(lines.into_iter()), vec![Br, Gzip]);
    }
}
