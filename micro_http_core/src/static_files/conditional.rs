//! Validators (`ETag`, `Last-Modified`) and the conditional request fields that use them (RFC 9110 §13):
//! `If-Match`, `If-Unmodified-Since`, `If-None-Match`, `If-Modified-Since` and `If-Range`.
//!
//! A field whose value cannot be parsed is ignored, as if it were absent: the client then gets the full,
//! unconditional response, which is always a correct answer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderValue;

use crate::headers::Headers;

/// The validators of one file: a strong ETag from its size and modification time, and that time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Validators {
    /// The opaque tag, without quotes: `<size hex>-<mtime nanos hex>[-br|-gz]`.
    opaque: String,
    /// The modification time in whole seconds (the precision of an HTTP date).
    modified: Option<SystemTime>,
}

/// What the preconditions decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precondition {
    /// Send the response as usual.
    Proceed,
    /// `304 Not Modified`: the client's copy is current.
    NotModified,
    /// `412 Precondition Failed` (`If-Match` or `If-Unmodified-Since` did not hold).
    Failed,
}

impl Validators {
    /// The validators of a file of `size` bytes modified at `mtime`; `suffix` tells representations of the
    /// same file apart (`-br` for the Brotli sibling).
    pub(crate) fn new(size: u64, mtime: Option<SystemTime>, suffix: &str) -> Self {
        let since_epoch = mtime.and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        let nanos = since_epoch.map_or(0, |d| d.as_nanos());
        Validators {
            opaque: format!("{size:x}-{nanos:x}{suffix}"),
            modified: since_epoch.map(|d| UNIX_EPOCH + Duration::from_secs(d.as_secs())),
        }
    }

    /// The `ETag` value (quoted).
    pub(crate) fn etag(&self) -> HeaderValue {
        // Hex digits and `-br`/`-gz` only: always a valid header value.
        HeaderValue::try_from(format!("\"{}\"", self.opaque)).expect("etag is ASCII")
    }

    /// The `Last-Modified` value (IMF-fixdate), when the modification time is known.
    pub(crate) fn last_modified(&self) -> Option<HeaderValue> {
        self.modified
            .map(|t| HeaderValue::try_from(httpdate::fmt_http_date(t)).expect("dates are ASCII"))
    }

    /// Evaluates the preconditions of `headers` in the order of RFC 9110 §13.2.2 (for GET and HEAD).
    pub(crate) fn evaluate(&self, headers: &Headers) -> Precondition {
        if let Some(list) = tag_lists(headers, "if-match") {
            if !list.iter().any(|t| t.matches_strong(&self.opaque)) {
                return Precondition::Failed;
            }
        } else if let (Some(since), Some(modified)) =
            (date(headers, "if-unmodified-since"), self.modified)
        {
            if modified > since {
                return Precondition::Failed;
            }
        }
        if let Some(list) = tag_lists(headers, "if-none-match") {
            if list.iter().any(|t| t.matches_weak(&self.opaque)) {
                return Precondition::NotModified;
            }
        } else if let (Some(since), Some(modified)) =
            (date(headers, "if-modified-since"), self.modified)
        {
            if modified <= since {
                return Precondition::NotModified;
            }
        }
        Precondition::Proceed
    }

    /// `true` unless an `If-Range` field says the client's partial copy is of another version (RFC 9110 §13.1.5):
    /// then the `Range` must be ignored and the whole file sent.
    pub(crate) fn if_range_holds(&self, headers: &Headers) -> bool {
        let Some(value) = headers.get("if-range").map(str::trim) else {
            return true;
        };
        if value.starts_with('"') || value.starts_with("W/") {
            return match parse_tags(value).as_deref() {
                Some([tag]) => tag.matches_strong(&self.opaque),
                _ => false,
            };
        }
        // A date validates only when it is exactly the Last-Modified time.
        matches!((httpdate::parse_http_date(value), self.modified), (Ok(d), Some(m)) if d == m)
    }
}

/// One element of an entity-tag list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagMatch<'a> {
    /// `*`: any current representation.
    Any,
    /// `"opaque"` or `W/"opaque"`.
    Tag { weak: bool, opaque: &'a str },
}

impl TagMatch<'_> {
    /// Weak comparison (RFC 9110 §8.8.3.2): the opaque tags are equal, weakness ignored.
    fn matches_weak(&self, ours: &str) -> bool {
        match self {
            TagMatch::Any => true,
            TagMatch::Tag { opaque, .. } => *opaque == ours,
        }
    }

    /// Strong comparison: both strong (ours always is) and equal.
    fn matches_strong(&self, ours: &str) -> bool {
        match self {
            TagMatch::Any => true,
            TagMatch::Tag { weak, opaque } => !weak && *opaque == ours,
        }
    }
}

/// Every element of every `name` field line; `None` if there is none or one of them is malformed.
fn tag_lists<'a>(headers: &'a Headers, name: &'a str) -> Option<Vec<TagMatch<'a>>> {
    let mut all = Vec::new();
    let mut seen = false;
    for line in headers.get_all(name) {
        seen = true;
        all.extend(parse_tags(std::str::from_utf8(line).ok()?)?);
    }
    seen.then_some(all)
}

/// Parses `#entity-tag` or `*` (RFC 9110 §13.1.1); `None` if malformed.
fn parse_tags(value: &str) -> Option<Vec<TagMatch<'_>>> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Some(out);
        }
        if let Some(r) = rest.strip_prefix('*') {
            out.push(TagMatch::Any);
            rest = r;
        } else {
            let (weak, r) = match rest.strip_prefix("W/") {
                Some(r) => (true, r),
                None => (false, rest),
            };
            let r = r.strip_prefix('"')?;
            let end = r.find('"')?;
            let opaque = &r[..end];
            // etagc = %x21 / %x23-7E / obs-text: no space, no control.
            if opaque.bytes().any(|b| b <= 0x20 || b == 0x7f) {
                return None;
            }
            out.push(TagMatch::Tag { weak, opaque });
            rest = &r[end + 1..];
        }
        let after = rest.trim_start_matches([' ', '\t']);
        if !(after.is_empty() || after.starts_with(',')) {
            return None;
        }
    }
}

/// The HTTP-date in field `name`, if present and valid.
fn date(headers: &Headers, name: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(headers.get(name)?.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test::request;

    const MTIME: u64 = 1_700_000_000;

    fn validators() -> Validators {
        Validators::new(0x1234, Some(UNIX_EPOCH + Duration::new(MTIME, 5)), "")
    }

    fn eval(fields: &str) -> Precondition {
        let req = request(&format!("GET /a HTTP/1.1\r\nHost: t\r\n{fields}\r\n"));
        validators().evaluate(req.headers())
    }

    fn if_range(fields: &str) -> bool {
        let req = request(&format!("GET /a HTTP/1.1\r\nHost: t\r\n{fields}\r\n"));
        validators().if_range_holds(req.headers())
    }

    fn tag() -> String {
        format!("\"1234-{:x}\"", u128::from(MTIME) * 1_000_000_000 + 5)
    }

    fn http_date(secs: u64) -> String {
        httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn etag_and_last_modified_values() {
        let v = validators();
        assert_eq!(v.etag(), tag().as_str());
        assert_eq!(v.last_modified().unwrap(), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_ne!(
            Validators::new(1, None, "-br").etag(),
            Validators::new(1, None, "").etag()
        );
        assert!(Validators::new(1, None, "").last_modified().is_none());
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        let t = tag();
        assert_eq!(
            eval(&format!("If-None-Match: {t}\r\n")),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&format!("If-None-Match: W/{t}\r\n")),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&format!("If-None-Match: \"x\", {t}\r\n")),
            Precondition::NotModified
        );
        assert_eq!(
            eval("If-None-Match: \"x\"\r\nIf-None-Match: *\r\n"),
            Precondition::NotModified
        );
        assert_eq!(eval("If-None-Match: *\r\n"), Precondition::NotModified);
        assert_eq!(
            eval("If-None-Match: \"x\", W/\"y\"\r\n"),
            Precondition::Proceed
        );
        assert_eq!(
            eval(&format!("If-None-Match: {t}-br\r\n")),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let later = http_date(MTIME + 10);
        assert_eq!(
            eval(&format!("If-Modified-Since: {later}\r\n")),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&format!("If-Modified-Since: {}\r\n", http_date(MTIME))),
            Precondition::NotModified
        );
        assert_eq!(
            eval(&format!("If-Modified-Since: {}\r\n", http_date(MTIME - 1))),
            Precondition::Proceed
        );
        let both = format!("If-None-Match: \"other\"\r\nIf-Modified-Since: {later}\r\n");
        assert_eq!(eval(&both), Precondition::Proceed);
        assert_eq!(
            eval("If-Modified-Since: yesterday\r\n"),
            Precondition::Proceed
        );
    }

    #[test]
    fn malformed_lists_are_ignored() {
        for v in ["\"unterminated", "abc", "\"a\" \"b\"", "W/abc", "\"a b\""] {
            assert_eq!(parse_tags(v), None, "{v}");
            assert_eq!(
                eval(&format!("If-None-Match: {v}\r\n")),
                Precondition::Proceed,
                "{v}"
            );
            assert_eq!(
                eval(&format!("If-Match: {v}\r\n")),
                Precondition::Proceed,
                "{v}"
            );
        }
        assert_eq!(parse_tags(" , \"a\" ,W/\"b\",, ").unwrap().len(), 2);
        assert_eq!(
            parse_tags("\"a,b\"").unwrap(),
            vec![TagMatch::Tag {
                weak: false,
                opaque: "a,b"
            }]
        );
    }

    #[test]
    fn if_match_and_if_unmodified_since_fail_with_412() {
        let t = tag();
        assert_eq!(eval(&format!("If-Match: {t}\r\n")), Precondition::Proceed);
        assert_eq!(eval("If-Match: *\r\n"), Precondition::Proceed);
        assert_eq!(eval("If-Match: \"x\"\r\n"), Precondition::Failed);
        assert_eq!(eval(&format!("If-Match: W/{t}\r\n")), Precondition::Failed);
        assert_eq!(
            eval(&format!(
                "If-Unmodified-Since: {}\r\n",
                http_date(MTIME - 1)
            )),
            Precondition::Failed
        );
        assert_eq!(
            eval(&format!("If-Unmodified-Since: {}\r\n", http_date(MTIME))),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_range_needs_a_strong_match_or_the_exact_date() {
        let t = tag();
        assert!(if_range(""));
        assert!(if_range(&format!("If-Range: {t}\r\n")));
        assert!(!if_range(&format!("If-Range: W/{t}\r\n")));
        assert!(!if_range("If-Range: \"x\"\r\n"));
        assert!(if_range(&format!("If-Range: {}\r\n", http_date(MTIME))));
        assert!(!if_range(&format!(
            "If-Range: {}\r\n",
            http_date(MTIME + 1)
        )));
        assert!(!if_range("If-Range: garbage\r\n"));
    }
}
