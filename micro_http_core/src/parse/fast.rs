//! The usual request head, read in one tight pass: a common method, an origin-form target of visible ASCII,
//! `HTTP/1.1` or `HTTP/1.0`, field lines ended by CRLF, nothing the framing fold refuses, within the limits.
//!
//! It answers only where it is sure: anything else (an error, a head not yet complete, bare-LF line ends, an
//! obs-fold, non-ASCII or `#` in the target, an absolute-form or `*` target, an extension method) gives `None`
//! and the general reader ([`super::parse_head`]) decides. Where it answers, the answer is the general reader's
//! (`same_as_the_general_reader` below, and the head_parser fuzz target through `HeadParser::parse`).

use http::Method;

use super::fields::VALUE;
use super::framing::{is_name, Fold, HOST, TOKEN};
use super::target::refused;
use super::{Parsed, Version};
use crate::config::Limits;
use crate::headers::Span;

/// Target bytes that continue a path: those a target may hold (visible ASCII but `#`), but `?`.
const PATH: [bool; 256] = target_class(b'?');
/// Target bytes that continue a query: those a target may hold.
const QUERY: [bool; 256] = target_class(b'#');

/// The bytes [`refused`] allows in a target, less `stop`.
const fn target_class(stop: u8) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = !refused(b as u8) && b != stop as usize;
        b += 1;
    }
    t
}

/// The five classes above as bits of one table: whichever class a lookup tests, it lands in the same lines (the
/// two of ASCII, for the usual head), where five tables of 256 `bool`s took a line or two each per request, each
/// a separate fetch (`scripts/footprint.sh`, BENCHMARKS.md). Built from the tables, which stay the definitions.
mod class {
    pub(super) const PATH: u8 = 1;
    pub(super) const QUERY: u8 = 2;
    pub(super) const TOKEN: u8 = 4;
    pub(super) const HOST: u8 = 8;
    pub(super) const VALUE: u8 = 16;

    pub(super) static TABLE: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut b = 0;
        while b < 256 {
            t[b] = ((super::PATH[b] as u8) * PATH)
                | ((super::QUERY[b] as u8) * QUERY)
                | ((super::TOKEN[b] as u8) * TOKEN)
                | ((super::HOST[b] as u8) * HOST)
                | ((super::VALUE[b] as u8) * VALUE);
            b += 1;
        }
        t
    };
}

/// `b` is in `class` (bits of [`class::TABLE`]).
#[inline(always)]
fn holds(class: u8, b: u8) -> bool {
    class::TABLE[usize::from(b)] & class != 0
}

const HTTP11: u64 = u64::from_le_bytes(*b"HTTP/1.1");
const HTTP10: u64 = u64::from_le_bytes(*b"HTTP/1.0");

/// The index of the first byte at or after `i` that `class` does not hold; `None` if there is none before the end
/// of `buf`. Sixteen bytes a step while that many remain (each tested in turn, so the step ends where the span
/// does), then byte by byte: fewer loop tests than one byte a step for paths and names (BENCHMARKS.md).
#[inline(always)]
fn skip(buf: &[u8], mut i: usize, class: u8) -> Option<usize> {
    let holds = |b: u8| holds(class, b);
    while let Some(chunk) = buf.get(i..).and_then(|r| r.first_chunk::<16>()) {
        for (k, &b) in chunk.iter().enumerate() {
            if !holds(b) {
                return Some(i + k);
            }
        }
        i += 16;
    }
    while let Some(&b) = buf.get(i) {
        if !holds(b) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// [`skip`] for a class whose words can be judged whole: eight bytes a step, passed over in a few word operations
/// while `clean` says all eight are in `class`. `clean` may say no when they are (a tab in a field value); the
/// eight are then tested one by one, so the answer is always `skip`'s. Used for field values only: on paths and
/// names, which are short, the word test cost more than it saved (BENCHMARKS.md).
#[inline(always)]
fn skip_words(buf: &[u8], mut i: usize, class: u8, clean: impl Fn(u64) -> bool) -> Option<usize> {
    while let Some(word) = buf.get(i..).and_then(|r| r.first_chunk::<8>()) {
        if !clean(u64::from_le_bytes(*word)) {
            if let Some(k) = word.iter().position(|&b| !holds(class, b)) {
                return Some(i + k);
            }
        }
        i += 8;
    }
    skip(buf, i, class)
}

/// Word tests on eight bytes at once (the "hasless" family of Bit Twiddling Hacks). Each is exact about whether
/// some byte matches: a borrow or carry out of a matching byte can only mark bytes above it as well.
mod word {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

    /// Some byte of `x` is below `n` (`n` ≤ 0x80).
    #[inline(always)]
    pub(super) const fn any_below(x: u64, n: u8) -> bool {
        x.wrapping_sub(ONES * n as u64) & !x & HIGHS != 0
    }

    /// Some byte of `x` is `b`.
    #[inline(always)]
    pub(super) const fn any_eq(x: u64, b: u8) -> bool {
        any_below(x ^ (ONES * b as u64), 1)
    }
}

/// Eight field-value bytes, tabs aside: none below a space, no DEL ([`VALUE`] without HTAB).
#[inline(always)]
fn clean_value(x: u64) -> bool {
    !(word::any_below(x, 0x20) || word::any_eq(x, 0x7f))
}

/// The head at the front of `buf` and its length, if it has the usual shape; `None`: ask the general reader.
#[inline(always)]
pub(super) fn parse(buf: &[u8], limits: &Limits) -> Option<(Parsed, usize)> {
    // The method and the space after it, compared four bytes at a time.
    let (method, sp) = match buf.first_chunk::<4>()? {
        b"GET " => (Method::GET, 3),
        b"PUT " => (Method::PUT, 3),
        b"POST" => (Method::POST, 4),
        b"HEAD" => (Method::HEAD, 4),
        b"DELE" if buf.get(4..6)? == b"TE" => (Method::DELETE, 6),
        b"PATC" if buf.get(4)? == &b'H' => (Method::PATCH, 5),
        _ => return None,
    };
    if *buf.get(sp)? != b' ' {
        return None;
    }
    let target_at = sp + 1;
    if buf.get(target_at) != Some(&b'/') {
        return None;
    }
    let mut end = skip(buf, target_at + 1, class::PATH)?;
    let query_at = if buf[end] == b'?' {
        let q = end;
        end = skip(buf, q + 1, class::QUERY)?;
        Some(q)
    } else {
        None
    };
    if buf[end] != b' ' || end - target_at > limits.max_target_bytes {
        return None;
    }
    let version: [u8; 8] = buf.get(end + 1..end + 9)?.try_into().ok()?;
    let version = match u64::from_le_bytes(version) {
        HTTP11 => Version::Http11,
        HTTP10 => Version::Http10,
        _ => return None,
    };
    if buf.get(end + 9..end + 11)? != b"\r\n" {
        return None;
    }

    let mut fold = Fold::default();
    let mut fields = 0;
    let mut i = end + 11;
    loop {
        if buf.get(i..i + 2)? == b"\r\n" {
            i += 2;
            break;
        }
        let colon = skip(buf, i, class::TOKEN)?;
        if colon == i || buf[colon] != b':' {
            return None;
        }
        let name = &buf[i..colon];
        let mut v = colon + 1;
        while let Some(b' ' | b'\t') = buf.get(v) {
            v += 1;
        }
        // A Host value is read with the Host class first: one pass both finds its end and checks it.
        let host = name.len() == 4 && is_name(name, b"host");
        let mut e = if host { skip(buf, v, class::HOST)? } else { v };
        let host_ok = host && buf[e] == b'\r';
        if !host_ok {
            e = skip_words(buf, e, class::VALUE, clean_value)?;
        }
        if buf.get(e..e + 2)? != b"\r\n" {
            return None;
        }
        let mut value = &buf[v..e];
        while let [rest @ .., b' ' | b'\t'] = value {
            value = rest;
        }
        fields += 1;
        if fields > limits.max_headers
            || name.len() + value.len() + 2 > limits.max_header_line_bytes
        {
            return None;
        }
        if host_ok {
            fold.valid_host();
        } else {
            fold.field(name, value).ok()?;
        }
        i = e + 2;
    }
    let sem = fold.finish(version == Version::Http11).ok()?;

    let span = |a: usize, b: usize| Span {
        start: a as u32,
        len: (b - a) as u32,
    };
    let path_end = query_at.unwrap_or(end);
    Some((
        Parsed {
            method,
            version,
            path: Some(span(target_at, path_end)),
            query: query_at.map(|q| span(q + 1, end)),
            asterisk: false,
            sem,
        },
        i,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general(head: &[u8]) -> Option<(Parsed, usize)> {
        super::super::parse_head(head, &Limits::default())
            .ok()
            .flatten()
    }

    /// Where the fast reader answers, the general reader gives the same answer.
    fn agrees(head: &[u8]) -> bool {
        match parse(head, &Limits::default()) {
            Some(fast) => {
                assert_eq!(
                    Some(&fast),
                    general(head).as_ref(),
                    "{:?}",
                    String::from_utf8_lossy(head)
                );
                true
            }
            None => false,
        }
    }

    #[test]
    fn reads_the_usual_heads() {
        for head in [
            "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
            "GET / HTTP/1.0\r\n\r\n",
            "GET /a/b?x=1&y=%20z?w HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nUser-Agent: curl/8.0\r\n\r\n",
            "GET /? HTTP/1.1\r\nhost: [::1]:80\r\n\r\n",
            "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nContent-Type: a/b\r\n\r\nbody=42",
            "PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
            "DELETE /x HTTP/1.1\r\nHOST:x\r\nConnection: close\r\nX-Empty:\r\nX-Ows: \t v \t\r\n\r\n",
            "HEAD /x HTTP/1.0\r\nConnection: keep-alive\r\nX: caf\u{e9}\r\n\r\n",
            "PATCH /x HTTP/1.1\r\nHost: x y\r\n\r\n",
            // A browser's navigation (Chrome 124, as in benches/parse.rs): quotes, commas and spaces are value bytes.
            "GET /api/v1/users/42?tab=posts HTTP/1.1\r\nHost: localhost:8080\r\nConnection: keep-alive\r\n\
             sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n\
             User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0\r\n\
             Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
             Accept-Language: en-US,en;q=0.9\r\n\r\n",
        ] {
            let fast = parse(head.as_bytes(), &Limits::default());
            let host_refused = head.contains("Host: x y");
            assert_eq!(fast.is_some(), !host_refused, "{head:?}");
            agrees(head.as_bytes());
        }
    }

    #[test]
    fn leaves_everything_else_to_the_general_reader() {
        for head in [
            "GET /plaintext HTTP/1.1\r\nHost: x\r\n",
            "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r",
            "GET /plaintext HTTP/1.1\nHost: x\n\n",
            "GET /plaintext HTTP/1.1\r\nHost: x\n\r\n",
            "GET /plaintext HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            "GET /caf\u{e9} HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n",
            "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
            "PROPFIND / HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET / HTTP/1.2\r\nHost: x\r\n\r\n",
            "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n",
        ] {
            assert!(
                parse(head.as_bytes(), &Limits::default()).is_none(),
                "{head:?}"
            );
        }
        let tight = Limits {
            max_headers: 1,
            ..Limits::default()
        };
        assert!(parse(b"GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n\r\n", &tight).is_none());
    }

    #[test]
    fn the_merged_table_holds_each_class_exactly() {
        for b in 0..=255u8 {
            let i = usize::from(b);
            assert_eq!(holds(class::PATH, b), PATH[i], "{b:#x}");
            assert_eq!(holds(class::QUERY, b), QUERY[i], "{b:#x}");
            assert_eq!(holds(class::TOKEN, b), TOKEN[i], "{b:#x}");
            assert_eq!(holds(class::HOST, b), HOST[i], "{b:#x}");
            assert_eq!(holds(class::VALUE, b), VALUE[i], "{b:#x}");
        }
    }

    /// [`clean_value`] never passes a word holding a byte outside [`VALUE`], and passes every word inside it but
    /// for tabs: every byte at every position among fillers from the class, then many mixed words.
    #[test]
    fn the_value_word_test_agrees_with_the_table() {
        let judge = |w: [u8; 8]| {
            let inside = w.iter().all(|&b| VALUE[usize::from(b)]);
            let passed = clean_value(u64::from_le_bytes(w));
            assert!(!passed || inside, "{w:x?} passed");
            if inside && !w.contains(&b'\t') {
                assert!(passed, "{w:x?} refused");
            }
        };
        let fillers = b" !a~\"\x7e\x80\xff,;=";
        for &fill in fillers {
            for pos in 0..8 {
                for b in 0..=255u8 {
                    let mut w = [fill; 8];
                    w[pos] = b;
                    judge(w);
                }
            }
        }
        // Mixed words, mostly fillers: a xorshift stream picking a filler or any byte.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            let mut w = [0u8; 8];
            for b in &mut w {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let r = state.to_le_bytes();
                *b = if r[0] < 224 {
                    fillers[usize::from(r[1]) % fillers.len()]
                } else {
                    r[2]
                };
            }
            judge(w);
        }
    }

    proptest::proptest! {
        /// Long values (and targets), so that the word steps are taken, ended anywhere and mixed with the byte steps.
        #[test]
        fn long_spans_read_the_same(
            target in "/[a-z0-9/._~%?=&-]{0,30}[#\\x7f\\x80 ]?[a-z0-9/._~%?=&-]{0,12}",
            value in "[ -~]{0,30}[\t\\x7f\\x80\u{e9}\x01]?[ -~]{0,12}",
            more in "[a-zA-Z0-9,;= ]{0,24}",
        ) {
            let head = format!("GET {target} HTTP/1.1\r\nHost: x\r\nX-Long: {value}\r\nX-More: {more}\r\n\r\n");
            agrees(head.as_bytes());
        }
    }

    proptest::proptest! {
        #[test]
        fn same_as_the_general_reader(
            method in "(GET|POST|PUT|HEAD|DELETE|PATCH|OPTIONS|G@T|get)",
            sp in "( |  |\t)",
            target in "(/|/a|/a/b\\.c|/a\\?b=c|/\\?|/a\\?b\\?c|/a#b|\\*|http://h/p|/caf\u{e9}|/\\x7f|/[a-z%?=&]{0,12})",
            version in "(HTTP/1\\.1|HTTP/1\\.0|HTTP/1\\.2|HTTP/2\\.0|HTTP/1\\.)",
            eol in "(\r\n|\n|\r)",
            fields in proptest::collection::vec(
                (
                    "(Host|host|HOST|Content-Length|Transfer-Encoding|Connection|Expect|X-A|Bad Name| Host|)",
                    "(:|: |:\t| :)",
                    "(x|127\\.0\\.0\\.1:80|\\[::1\\]|a b|7|chunked|close|keep-alive|100-continue|caf\u{e9}|\\x01| v |)",
                    "(\r\n|\n|\r\n )",
                ),
                0..5,
            ),
            end in "(\r\n|\n|\r|)",
        ) {
            let mut head = format!("{method}{sp}{target} {version}{eol}");
            for (n, c, v, e) in &fields {
                head.push_str(&format!("{n}{c}{v}{e}"));
            }
            head.push_str(&end);
            agrees(head.as_bytes());
        }
    }
}
