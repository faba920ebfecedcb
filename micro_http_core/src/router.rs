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

/// Up to this many exact paths are looked up by comparison rather than by hash.
pub(crate) const FEW: usize = 8;

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

/// Ranges (byte offsets into the matched path) of the captured parameters, in pattern order; a slice of them
/// through `Deref`. Up to [`Captures::INLINE`] are held in place, so finding a route allocates nothing (more
/// than that spill to the heap).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Captures {
    len: usize,
    inline: [(usize, usize); Captures::INLINE],
    spill: Vec<(usize, usize)>,
}

impl Captures {
    /// How many ranges are held without an allocation.
    pub const INLINE: usize = 4;

    fn push(&mut self, range: (usize, usize)) {
        if self.len < Self::INLINE {
            self.inline[self.len] = range;
        } else {
            if self.len == Self::INLINE {
                self.spill.extend_from_slice(&self.inline);
            }
            self.spill.push(range);
        }
        self.len += 1;
    }
}

impl std::ops::Deref for Captures {
    type Target = [(usize, usize)];

    fn deref(&self) -> &[(usize, usize)] {
        if self.len <= Self::INLINE {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }
}

impl<'a> IntoIterator for &'a Captures {
    type Item = &'a (usize, usize);
    type IntoIter = std::slice::Iter<'a, (usize, usize)>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Captures {
    type Item = (usize, usize);
    type IntoIter = CapturesIntoIter;

    fn into_iter(self) -> CapturesIntoIter {
        CapturesIntoIter {
            captures: self,
            next: 0,
        }
    }
}

/// The ranges of [`Captures`], by value.
#[derive(Debug)]
pub struct CapturesIntoIter {
    captures: Captures,
    next: usize,
}

impl Iterator for CapturesIntoIter {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let range = self.captures.get(self.next).copied();
        self.next += 1;
        range
    }
}

impl fmt::Debug for Captures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A set of path patterns, each with a [`PathId`].
#[derive(Default)]
pub struct Router {
    /// Keyed by bytes, so the service can look a path up before (or without) checking that it is UTF-8.
    exact: HashMap<Box<[u8]>, PathId, BuildHasherDefault<PathHasher>>,
    /// The same paths while there are at most [`FEW`]: comparing a handful of lengths (and then the bytes of
    /// the one or two of the same length) is cheaper than hashing the path (~30 against ~125 instructions).
    few: Vec<(Box<[u8]>, PathId)>,
    /// Patterns with parameters. `matchit`'s radix tree was 2.4x faster than our segment tree on parameter
    /// routes (benches/router.rs); exact paths stay in the hash map, which beats both.
    dynamic: matchit::Router<PathId>,
    /// `/static/` for `/static/{*path}`: a catch-all matching nothing.
    empty_catch_all: HashMap<Box<str>, PathId, BuildHasherDefault<PathHasher>>,
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
            self.exact.insert(pattern.as_bytes().into(), id);
            self.few.push((pattern.as_bytes().into(), id));
            if self.exact.len() > FEW {
                self.few = Vec::new();
            }
            return Ok(id);
        }
        // `matchit`'s catch-all needs at least one byte; ours may be empty (`/static/` asks for the root). With no
        // other parameter the empty case is one exact path.
        if let [static_part @ .., Segment::CatchAll(_)] = segments.as_slice() {
            if static_part.iter().all(|s| matches!(s, Segment::Static(_))) {
                let prefix = &pattern[..pattern.rfind('/').unwrap_or(0) + 1];
                self.empty_catch_all.insert(prefix.into(), id);
            }
        }
        if let Err(e) = self.dynamic.insert(pattern, id) {
            self.shapes.pop();
            return Err(PatternError {
                pattern: pattern.to_string(),
                reason: format!("it overlaps another route: {e}"),
            });
        }
        Ok(id)
    }

    /// Finds the pattern matching `path` (as received, percent-encoded), with the captured ranges.
    /// Literal segments win over parameters, parameters over catch-alls.
    pub fn at(&self, path: &str) -> Option<(PathId, Captures)> {
        if let Some(id) = self.exact(path.as_bytes()) {
            return Some((id, Captures::default()));
        }
        self.at_pattern(path)
    }

    /// [`at`](Self::at) for a path known not to be an exact one: the parameterised patterns only.
    pub(crate) fn at_pattern(&self, path: &str) -> Option<(PathId, Captures)> {
        let mut captures = Captures::default();
        let Ok(matched) = self.dynamic.at(path) else {
            let &id = self.empty_catch_all.get(path)?;
            captures.push((path.len(), path.len()));
            return Some((id, captures));
        };
        for (_, value) in matched.params.iter() {
            // Each value is a slice of `path`: its position is what the raw (encoded) parameter needs.
            let start = value.as_ptr() as usize - path.as_ptr() as usize;
            captures.push((start, start + value.len()));
        }
        Some((*matched.value, captures))
    }
}

impl Router {
    /// Every exact path (no parameters) with its id, in no particular order.
    pub(crate) fn exact_paths(&self) -> impl Iterator<Item = (&[u8], PathId)> {
        self.exact.iter().map(|(p, &id)| (&**p, id))
    }

    /// The pattern without parameters that is exactly `path`, if any: the common case, answered from the path's
    /// bytes alone.
    pub fn exact(&self, path: &[u8]) -> Option<PathId> {
        if self.exact.len() <= FEW {
            return self
                .few
                .iter()
                .find(|(p, _)| p.len() == path.len() && **p == *path)
                .map(|&(_, id)| id);
        }
        self.exact.get(path).copied()
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("shapes", &self.shapes)
            .finish()
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

    /// Exact paths are found the same way by comparison (few) and by hash (more).
    #[test]
    fn exact_paths_found_with_few_and_many_routes() {
        let mut r = Router::new();
        let paths: Vec<String> = (0..20)
            .map(|i| format!("/p{}", "x".repeat(i % 4) + &i.to_string()))
            .collect();
        for (n, p) in paths.iter().enumerate() {
            assert_eq!(r.insert(p).unwrap(), n);
            for (id, q) in paths[..=n].iter().enumerate() {
                assert_eq!(r.exact(q.as_bytes()), Some(id), "{q} with {} routes", n + 1);
                assert_eq!(r.at(q).map(|(id, _)| id), Some(id));
            }
            assert_eq!(r.exact(b"/p"), None);
            assert_eq!(r.exact(b"/pxx99"), None);
        }
    }

    /// Past the ranges held in place, captures spill to the heap in order.
    #[test]
    fn many_captures_spill_in_order() {
        let r = router(&[
            "/{a}/{b}/{c}/{d}/{e}/{f}",
            "/{a}/{b}/{c}/{d}",
            "/x/{*rest}",
            "/y/{*rest}",
        ]);
        assert_eq!(
            at(&r, "/1/22/333/4/55/6"),
            Some((0, vec!["1", "22", "333", "4", "55", "6"]))
        );
        assert_eq!(at(&r, "/1/2/3/4"), Some((1, vec!["1", "2", "3", "4"])));
        assert_eq!(at(&r, "/x/a/b"), Some((2, vec!["a/b"])));
        assert_eq!(at(&r, "/y/"), Some((3, vec![""])));
        let (_, caps) = r.at("/1/22/333/4/55/6").unwrap();
        assert_eq!(caps.len(), 6);
        assert_eq!((&caps).into_iter().count(), 6);
        let by_value: Vec<(usize, usize)> = caps.clone().into_iter().collect();
        assert_eq!(by_value, &caps[..]);
        assert_eq!(
            format!("{caps:?}"),
            "[(1, 2), (3, 5), (6, 9), (10, 11), (12, 14), (15, 16)]"
        );
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
