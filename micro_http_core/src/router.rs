//! The path router: exact matches from a hash map, parameter (`{id}`) and catch-all (`{*path}`) segments from a
//! segment tree. It matches the path as received; parameters are percent-decoded afterwards by the caller, so an
//! encoded `/` (`%2F`) can never create a segment.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

/// The Fx hash (as in rustc): a multiply-rotate per word. Route paths are chosen by the programmer, not the
/// client, so SipHash's flooding resistance buys nothing here, and it costs several times more per lookup.
#[derive(Default, Clone, Copy)]
struct PathHasher(u64);

impl Hasher for PathHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Index of a path pattern in the router.
pub type PathId = usize;

/// Why a path pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid route path `{}`: {}", self.pattern, self.reason)
    }
}

impl std::error::Error for PatternError {}

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Literal text.
    Static(&'a str),
    /// `{name}`: one non-empty segment.
    Param(&'a str),
    /// `{*name}`: the rest of the path (last segment only).
    CatchAll(&'a str),
}

/// Splits and checks a pattern: it starts with `/`; a `{...}` is a whole segment holding a name made of
/// letters, digits and `_`, optionally `*`-prefixed in the last segment; no empty segment but a final one
/// (`/users/` is a distinct path); no name twice.
pub fn parse_pattern(pattern: &str) -> Result<Vec<Segment<'_>>, PatternError> {
    let err = |reason: String| PatternError {
        pattern: pattern.to_string(),
        reason,
    };
    let Some(rest) = pattern.strip_prefix('/') else {
        return Err(err("a path must start with `/`".into()));
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let mut segments = Vec::with_capacity(parts.len());
    let mut names: Vec<&str> = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if part.is_empty() && !last {
            return Err(err("empty segment (`//`)".into()));
        }
        let seg = if let Some(inner) = part.strip_prefix('{') {
            let Some(inner) = inner.strip_suffix('}') else {
                return Err(err(format!(
                    "`{part}`: a parameter must be a whole segment like `{{id}}`"
                )));
            };
            let (catch_all, name) = match inner.strip_prefix('*') {
                Some(n) => (true, n),
                None => (false, inner),
            };
            if name.is_empty()
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                || name.starts_with(|c: char| c.is_ascii_digit())
            {
                return Err(err(format!(
                    "`{part}`: a parameter name must be an identifier"
                )));
            }
            if names.contains(&name) {
                return Err(err(format!("parameter `{name}` appears twice")));
            }
            names.push(name);
            if catch_all {
                if !last {
                    return Err(err(format!(
                        "`{part}`: a catch-all must be the last segment"
                    )));
                }
                Segment::CatchAll(name)
            } else {
                Segment::Param(name)
            }
        } else if part.contains(['{', '}']) {
            return Err(err(format!(
                "`{part}`: a parameter must be a whole segment like `{{id}}`"
            )));
        } else {
            Segment::Static(part)
        };
        segments.push(seg);
    }
    Ok(segments)
}

#[derive(Debug, Default)]
struct Node {
    statics: Vec<(Box<str>, Node)>,
    param: Option<Box<Node>>,
    catch_all: Option<PathId>,
    leaf: Option<PathId>,
}

/// Ranges (byte offsets into the matched path) of the captured parameters, in pattern order.
pub type Captures = Vec<(usize, usize)>;

/// A set of path patterns, each with a [`PathId`].
#[derive(Debug, Default)]
pub struct Router {
    exact: HashMap<Box<str>, PathId, BuildHasherDefault<PathHasher>>,
    root: Node,
    /// The pattern of each id, with parameter names erased (`/users/{}`): two patterns that differ only in
    /// names are the same path.
    shapes: Vec<String>,
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Router::default()
    }

    /// Adds `pattern`, or finds it if a pattern of the same shape is already there.
    pub fn insert(&mut self, pattern: &str) -> Result<PathId, PatternError> {
        let segments = parse_pattern(pattern)?;
        let shape = shape_of(&segments);
        if let Some(id) = self.shapes.iter().position(|s| *s == shape) {
            return Ok(id);
        }
        let id = self.shapes.len();
        self.shapes.push(shape);
        if segments.iter().all(|s| matches!(s, Segment::Static(_))) {
            self.exact.insert(pattern.into(), id);
            return Ok(id);
        }
        let mut node = &mut self.root;
        for seg in &segments {
            node = match seg {
                Segment::Static(text) => {
                    let pos = match node.statics.iter().position(|(t, _)| **t == **text) {
                        Some(p) => p,
                        None => {
                            node.statics.push(((*text).into(), Node::default()));
                            node.statics.len() - 1
                        }
                    };
                    &mut node.statics[pos].1
                }
                Segment::Param(_) => node.param.get_or_insert_with(Default::default),
                Segment::CatchAll(_) => {
                    node.catch_all = Some(id);
                    return Ok(id);
                }
            };
        }
        node.leaf = Some(id);
        Ok(id)
    }

    /// Finds the pattern matching `path` (as received, percent-encoded), with the captured ranges.
    /// Literal segments win over parameters, parameters over catch-alls.
    pub fn at(&self, path: &str) -> Option<(PathId, Captures)> {
        if let Some(&id) = self.exact.get(path) {
            return Some((id, Vec::new()));
        }
        let rest = path.strip_prefix('/')?;
        let mut captures = Vec::new();
        let id = match_node(&self.root, rest, 1, &mut captures)?;
        Some((id, captures))
    }
}

fn shape_of(segments: &[Segment<'_>]) -> String {
    let mut s = String::new();
    for seg in segments {
        s.push('/');
        match seg {
            Segment::Static(t) => s.push_str(t),
            Segment::Param(_) => s.push_str("{}"),
            Segment::CatchAll(_) => s.push_str("{*}"),
        }
    }
    s
}

/// Matches `rest` (the path after a `/`, starting at byte `offset` of the whole path) below `node`.
fn match_node(node: &Node, rest: &str, offset: usize, captures: &mut Captures) -> Option<PathId> {
    let (segment, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let descend = |child: &Node, captures: &mut Captures| match tail {
        Some(t) => match_node(child, t, offset + segment.len() + 1, captures),
        None => child.leaf,
    };
    if let Some((_, child)) = node.statics.iter().find(|(t, _)| **t == *segment) {
        if let Some(id) = descend(child, captures) {
            return Some(id);
        }
    }
    if let Some(child) = &node.param {
        if !segment.is_empty() {
            captures.push((offset, offset + segment.len()));
            if let Some(id) = descend(child, captures) {
                return Some(id);
            }
            captures.pop();
        }
    }
    if let Some(id) = node.catch_all {
        captures.push((offset, offset + rest.len()));
        return Some(id);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(patterns: &[&str]) -> Router {
        let mut r = Router::new();
        for (i, p) in patterns.iter().enumerate() {
            assert_eq!(r.insert(p).unwrap(), i, "{p}");
        }
        r
    }

    fn at<'a>(r: &Router, path: &'a str) -> Option<(PathId, Vec<&'a str>)> {
        r.at(path)
            .map(|(id, caps)| (id, caps.iter().map(|&(a, b)| &path[a..b]).collect()))
    }

    #[test]
    fn static_and_params() {
        let r = router(&[
            "/",
            "/users",
            "/users/{id}",
            "/users/{id}/posts/{post}",
            "/users/me",
            "/static/{*path}",
        ]);
        assert_eq!(at(&r, "/"), Some((0, vec![])));
        assert_eq!(at(&r, "/users"), Some((1, vec![])));
        assert_eq!(at(&r, "/users/7"), Some((2, vec!["7"])));
        assert_eq!(at(&r, "/users/me"), Some((4, vec![])));
        assert_eq!(
            at(&r, "/users/7/posts/x%2Fy"),
            Some((3, vec!["7", "x%2Fy"]))
        );
        assert_eq!(at(&r, "/static/css/a.css"), Some((5, vec!["css/a.css"])));
        assert_eq!(at(&r, "/static/"), Some((5, vec![""])));
        assert_eq!(at(&r, "/users/"), None);
        assert_eq!(at(&r, "/users/7/"), None);
        assert_eq!(at(&r, "/nope"), None);
        assert_eq!(at(&r, "users"), None);
    }

    #[test]
    fn backtracks_from_literal_to_param() {
        let r = router(&["/a/b/c", "/a/{x}/d"]);
        assert_eq!(at(&r, "/a/b/d"), Some((1, vec!["b"])));
    }

    #[test]
    fn same_shape_same_id() {
        let mut r = Router::new();
        assert_eq!(r.insert("/u/{id}").unwrap(), 0);
        assert_eq!(r.insert("/u/{other}").unwrap(), 0);
        assert_eq!(r.insert("/u").unwrap(), 1);
        assert_eq!(r.insert("/u").unwrap(), 1);
    }

    #[test]
    fn bad_patterns() {
        for p in [
            "", "users", "/a//b", "/{id", "/a{id}", "/{}", "/{1a}", "/{*p}/x", "/{a}/{a}", "/{a-b}",
        ] {
            assert!(parse_pattern(p).is_err(), "{p}");
        }
        assert!(parse_pattern("/a/").is_ok());
    }
}
