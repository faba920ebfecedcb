//! Safe path resolution: from the raw (still percent-encoded) tail of a request path to a relative file path
//! that cannot leave the root, before the filesystem is touched.
//!
//! The tail is decoded exactly once, segment by segment, so an encoded `/` can never create a segment and
//! `%252e%252e` stays the literal name `%2e%2e`. Every segment is then checked: no `.` or `..`, no separator,
//! no control character, no `:` (a Windows drive letter or alternate data stream), valid UTF-8.

use std::path::PathBuf;

use http::StatusCode;

/// A request path checked to stay inside the root: relative, made of plain names only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RelPath {
    /// The checked path, relative to the root; empty for the root itself.
    pub(crate) path: PathBuf,
    /// The request ended in `/` (or named the root): it asks for a directory.
    pub(crate) trailing_slash: bool,
}

/// Why a request path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathError {
    /// Not a valid path: bad escape, encoded separator, control character, empty or absolute segment... (400)
    Malformed(&'static str),
    /// A `.` or `..` segment, raw or encoded (403).
    Traversal,
    /// A segment starting with `.` while dotfiles are hidden (404, as if it did not exist).
    Hidden,
}

impl PathError {
    /// The status the client gets.
    pub(crate) fn status(self) -> StatusCode {
        match self {
            PathError::Malformed(_) => StatusCode::BAD_REQUEST,
            PathError::Traversal => StatusCode::FORBIDDEN,
            PathError::Hidden => StatusCode::NOT_FOUND,
        }
    }

    /// The plain-text body for the client.
    pub(crate) fn message(self) -> &'static str {
        match self {
            PathError::Malformed(why) => why,
            PathError::Traversal => "forbidden\n",
            PathError::Hidden => "not found\n",
        }
    }
}

/// Resolves `raw`, the percent-encoded path below the mount point (`css/site.css`, no leading `/`).
pub(crate) fn resolve(raw: &str, show_dotfiles: bool) -> Result<RelPath, PathError> {
    // The request line admits visible ASCII only; a caller of `serve_path` gets the same rule.
    if raw.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
        return Err(PathError::Malformed("invalid character in path\n"));
    }
    if raw.contains('\\') {
        return Err(PathError::Malformed("backslash in path\n"));
    }
    if raw.starts_with('/') {
        // `/static//etc/passwd`: joined to the root, an absolute path would replace it.
        return Err(PathError::Malformed("absolute path\n"));
    }
    let mut path = PathBuf::new();
    if raw.is_empty() {
        return Ok(RelPath {
            path,
            trailing_slash: true,
        });
    }
    let (body, trailing_slash) = match raw.strip_suffix('/') {
        Some(body) => (body, true),
        None => (raw, false),
    };
    for segment in body.split('/') {
        if segment.is_empty() {
            return Err(PathError::Malformed("empty path segment\n"));
        }
        let name = decode_segment(segment)?;
        if name == "." || name == ".." {
            return Err(PathError::Traversal);
        }
        if name.starts_with('.') && !show_dotfiles {
            return Err(PathError::Hidden);
        }
        path.push(name);
    }
    Ok(RelPath {
        path,
        trailing_slash,
    })
}

/// Percent-decodes one segment (once) and checks what it decodes to.
fn decode_segment(segment: &str) -> Result<String, PathError> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(PathError::Malformed("invalid percent-escape in path\n"))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    // Rust's UTF-8 check refuses overlong forms and surrogates, so `%c0%ae` never becomes a `.`.
    let name =
        String::from_utf8(out).map_err(|_| PathError::Malformed("path is not valid UTF-8\n"))?;
    for c in name.chars() {
        match c {
            '/' | '\\' => return Err(PathError::Malformed("encoded separator in path\n")),
            ':' => {
                return Err(PathError::Malformed(
                    "drive letter or stream name in path\n",
                ))
            }
            c if c.is_control() => return Err(PathError::Malformed("control character in path\n")),
            _ => {}
        }
    }
    Ok(name)
}

/// Fuzz entry point (not a public API): resolves `raw` and panics if an accepted path could leave the root.
#[doc(hidden)]
pub fn fuzz_resolve(raw: &[u8]) {
    let Ok(raw) = std::str::from_utf8(raw) else {
        return;
    };
    for dotfiles in [false, true] {
        if let Ok(rel) = resolve(raw, dotfiles) {
            for c in rel.path.components() {
                assert!(
                    matches!(c, std::path::Component::Normal(_)),
                    "{raw:?} resolved to {:?}",
                    rel.path
                );
                let s = c.as_os_str().to_string_lossy();
                assert!(
                    !s.contains(['/', '\\', '\0']),
                    "{raw:?} resolved to {:?}",
                    rel.path
                );
                assert!(
                    dotfiles || !s.starts_with('.'),
                    "{raw:?} resolved to {:?}",
                    rel.path
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::path::{Component, Path};

    fn ok(raw: &str) -> (String, bool) {
        let r = resolve(raw, false).unwrap_or_else(|e| panic!("{raw:?}: {e:?}"));
        (r.path.to_str().unwrap().to_string(), r.trailing_slash)
    }

    fn err(raw: &str) -> PathError {
        resolve(raw, false).expect_err(raw)
    }

    #[test]
    fn plain_paths_resolve() {
        assert_eq!(ok(""), (String::new(), true));
        assert_eq!(ok("a.css"), ("a.css".into(), false));
        assert_eq!(ok("css/site.css"), ("css/site.css".into(), false));
        assert_eq!(ok("docs/"), ("docs".into(), true));
        assert_eq!(ok("hello%20world.txt"), ("hello world.txt".into(), false));
        assert_eq!(ok("caf%C3%A9.txt"), ("café.txt".into(), false));
        assert_eq!(ok("a..b"), ("a..b".into(), false));
    }

    #[test]
    fn double_encoding_is_decoded_once() {
        assert_eq!(ok("%252e%252e/secret"), ("%2e%2e/secret".into(), false));
        assert_eq!(ok("%252F"), ("%2F".into(), false));
    }

    #[test]
    fn traversal_is_forbidden() {
        for raw in [
            "..",
            "../secret",
            "a/../../secret",
            "%2e%2e/secret",
            ".%2e/x",
            "%2E%2E",
            "a/%2e%2e",
            ".",
            "a/./b",
            "%2e",
        ] {
            assert_eq!(err(raw), PathError::Traversal, "{raw}");
        }
    }

    #[test]
    fn malformed_paths_are_bad_requests() {
        for raw in [
            "a%2Fb",
            "a%2fb",
            "..%2Fsecret",
            "a%5Cb",
            "a%5cb",
            "a\\b",
            "..\\secret",
            "a%00b",
            "a%0ab",
            "a%7F",
            "/etc/passwd",
            "//etc/passwd",
            "a//b",
            "//",
            "C:",
            "C:%5Cwindows",
            "c%3a/x",
            "%c0%ae%c0%ae/x",
            "%e0%80%ae",
            "%ff",
            "%",
            "%2",
            "%zz",
            "a b",
            "a\u{e9}",
            "%c2%85",
        ] {
            assert!(matches!(err(raw), PathError::Malformed(_)), "{raw}");
            assert_eq!(err(raw).status(), StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn dotfiles_are_hidden_unless_shown() {
        for raw in [".env", ".git/config", "a/.hidden", "%2eenv", "..."] {
            assert_eq!(err(raw), PathError::Hidden, "{raw}");
        }
        assert_eq!(
            resolve(".well-known/x", true).unwrap().path,
            Path::new(".well-known/x")
        );
        assert_eq!(resolve("..", true), Err(PathError::Traversal));
    }

    proptest! {
        #[test]
        fn resolved_paths_stay_inside_the_root(raw in "\\PC*", dots in any::<bool>()) {
            check_inside(&raw, dots);
        }

        #[test]
        fn resolved_paths_stay_inside_the_root_for_path_like_input(
            raw in "(/|\\.|\\.\\.|%2[eEfF]|%5[cC]|%25|%00|%c0%ae|[a-z]|\\\\|:)*",
            dots in any::<bool>(),
        ) {
            check_inside(&raw, dots);
        }
    }

    fn check_inside(raw: &str, dots: bool) {
        let root = Path::new("/srv/static");
        if let Ok(rel) = resolve(raw, dots) {
            let full = root.join(&rel.path);
            assert!(full.starts_with(root), "{raw:?} -> {full:?}");
            for c in rel.path.components() {
                assert!(matches!(c, Component::Normal(_)), "{raw:?} -> {c:?}");
                let name = c.as_os_str().to_str().unwrap();
                assert!(
                    !name.contains(['/', '\\', ':', '\0']),
                    "{raw:?} -> {name:?}"
                );
                assert!(dots || !name.starts_with('.'), "{raw:?} -> {name:?}");
            }
            assert_eq!(
                rel.path.components().count(),
                raw.split('/').filter(|s| !s.is_empty()).count()
            );
        }
    }
}
