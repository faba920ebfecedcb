//! The request-target (RFC 9112 §3.2): which forms are accepted and where the path and query are.

use crate::error::HttpError;

/// Where the path and query of a request-target lie, as byte ranges of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TargetParts {
    /// The absolute path (`/` when an absolute-form target has none).
    pub(crate) path: (usize, usize),
    /// The query, without the `?`.
    pub(crate) query: Option<(usize, usize)>,
    /// `*` (only with OPTIONS).
    pub(crate) asterisk: bool,
    /// An absolute-form target without a path: the path is `/`.
    pub(crate) empty_path: bool,
}

/// What one pass over a request-target found: whether every byte is visible ASCII other than `#`, and where its
/// first `?` is. The request-line reader gathers it while finding the target's end, so [`split_target`] reads
/// no byte of the target again; [`Scan::of`] is the same pass on its own (tests, the fuzz oracle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Only `0x21..=0x7e` bytes and no `#`.
    pub(crate) clean: bool,
    /// The index of the first `?`.
    pub(crate) query_at: Option<usize>,
}

/// A byte a request-target may not hold: anything but visible ASCII, and `#`.
pub(super) const fn refused(b: u8) -> bool {
    b < 0x21 || b > 0x7e || b == b'#'
}

impl Scan {
    /// Scans `target` on its own.
    pub(crate) fn of(target: &[u8]) -> Scan {
        Scan {
            clean: !target.iter().any(|&b| refused(b)),
            query_at: target.iter().position(|&b| b == b'?'),
        }
    }
}

/// Splits `target` into path and query, accepting origin-form (`/p?q`), absolute-form
/// (`http://host/p?q`, RFC 9112 §3.2.2: a server MUST accept it) and asterisk-form (`*`).
/// Authority-form is only for CONNECT, which this server does not implement. `scan` is `target`'s [`Scan`].
pub(crate) fn split_target(target: &[u8], scan: Scan) -> Result<TargetParts, HttpError> {
    // Only visible ASCII may appear (RFC 3986 plus the usual leniency for `"`, `{`, `}`, `|`, `\`, `^`, `` ` ``
    // that browsers send unencoded); a fragment is never sent on the wire.
    if !scan.clean {
        // The first offending byte names the refusal.
        let bad = target.iter().find(|&&b| refused(b));
        return Err(HttpError::bad_request(if bad == Some(&b'#') {
            "fragment in request-target"
        } else {
            "invalid character in request-target"
        }));
    }
    if target == b"*" {
        return Ok(TargetParts {
            path: (0, 0),
            query: None,
            asterisk: true,
            empty_path: false,
        });
    }
    let path_start = if target.first() == Some(&b'/') {
        0
    } else if let Some(rest_at) = absolute_form_authority_start(target) {
        let authority_end = target[rest_at..]
            .iter()
            .position(|&b| b == b'/' || b == b'?')
            .map_or(target.len(), |p| rest_at + p);
        if authority_end == rest_at {
            return Err(HttpError::bad_request(
                "absolute-form target without a host",
            ));
        }
        authority_end
    } else {
        return Err(HttpError::bad_request(
            "request-target must be an absolute path such as /index.html",
        ));
    };
    // No `?` lies before `path_start`: the authority of an absolute-form target ends at the first one.
    let (path_len, query) = match scan.query_at {
        Some(q) => (q - path_start, Some((q + 1, target.len()))),
        None => (target.len() - path_start, None),
    };
    Ok(TargetParts {
        path: (path_start, path_start + path_len),
        query,
        asterisk: false,
        empty_path: path_len == 0,
    })
}

/// The index after `scheme://` for an `http` or `https` absolute-form target.
fn absolute_form_authority_start(target: &[u8]) -> Option<usize> {
    for scheme in [&b"http://"[..], b"https://"] {
        if target.len() >= scheme.len() && target[..scheme.len()].eq_ignore_ascii_case(scheme) {
            return Some(scheme.len());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(t: &str) -> (String, Option<String>) {
        let p = split_target(t.as_bytes(), Scan::of(t.as_bytes())).unwrap();
        let path = if p.empty_path {
            "/".to_string()
        } else {
            t[p.path.0..p.path.1].to_string()
        };
        (path, p.query.map(|(a, b)| t[a..b].to_string()))
    }

    #[test]
    fn origin_form() {
        assert_eq!(parts("/"), ("/".into(), None));
        assert_eq!(parts("/a/b?x=1&y"), ("/a/b".into(), Some("x=1&y".into())));
        assert_eq!(parts("/a?"), ("/a".into(), Some("".into())));
    }

    #[test]
    fn absolute_form() {
        assert_eq!(
            parts("http://example.com/a?b"),
            ("/a".into(), Some("b".into()))
        );
        assert_eq!(parts("HTTPS://example.com"), ("/".into(), None));
        assert_eq!(
            parts("http://example.com?q"),
            ("/".into(), Some("q".into()))
        );
        assert!(split_target(b"http:///a", Scan::of(b"http:///a")).is_err());
    }

    #[test]
    fn asterisk_form() {
        assert!(split_target(b"*", Scan::of(b"*")).unwrap().asterisk);
    }

    #[test]
    fn rejects() {
        for t in [
            "",
            "a/b",
            "example.com:80",
            "/a#frag",
            "/a\x7f",
            "/\u{e9}",
            "ftp://x/",
        ] {
            assert!(
                split_target(t.as_bytes(), Scan::of(t.as_bytes())).is_err(),
                "{t:?}"
            );
        }
    }
}
