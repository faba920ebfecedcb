//! Route path patterns, checked at compile time by the same rules as the runtime router
//! (`micro_http_core::router::parse_pattern`), so a route that compiles never fails to mount for its path.
//!
//! Unlike the router, this collects every problem in the pattern, each with the byte range it is about, so the
//! macro can report them all at once and point inside the string literal where the compiler allows it.
//! Free of `proc_macro` types so that it unit-tests; a test below checks it against the router.

use std::ops::Range;

/// A `{name}` or `{*name}` segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The name between the braces, without the `*`.
    pub name: String,
    /// `{*name}`: the rest of the path.
    pub catch_all: bool,
    /// Byte range of the whole segment (braces included) in the pattern.
    pub range: Range<usize>,
}

impl Param {
    /// The segment as written: `{id}` or `{*rest}`.
    pub fn written(&self) -> String {
        let star = if self.catch_all { "*" } else { "" };
        format!("{{{star}{}}}", self.name)
    }
}

/// One problem in a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// Byte range in the pattern that the problem is about.
    pub range: Range<usize>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// What the check of a pattern found: its parameters (those that are well formed) and its problems.
#[derive(Debug, Default)]
pub struct Checked {
    /// The parameters, in order.
    pub params: Vec<Param>,
    /// Every problem; the pattern is valid when this is empty.
    pub errors: Vec<PatternError>,
}

/// Checks `pattern`: it starts with `/`; no empty segment but a final one; a `{...}` is a whole segment holding an
/// identifier made of ASCII letters, digits and `_` (not starting with a digit), `*`-prefixed only in the last
/// segment; no name twice.
pub fn check(pattern: &str) -> Checked {
    let mut out = Checked::default();
    let Some(rest) = pattern.strip_prefix('/') else {
        let message = if pattern.is_empty() {
            "the route path is empty: write \"/\" for the root".to_string()
        } else {
            format!("a route path must start with `/`: write \"/{pattern}\"")
        };
        out.errors.push(PatternError {
            range: 0..pattern.len(),
            message,
        });
        return out;
    };
    let count = rest.split('/').count();
    let mut start = 1;
    for (i, part) in rest.split('/').enumerate() {
        let range = start..start + part.len();
        start = range.end + 1;
        let last = i + 1 == count;
        if part.is_empty() {
            if !last {
                out.errors.push(PatternError {
                    range: range.start - 1..range.start + 1,
                    message: format!("empty segment (`//`) in \"{pattern}\": remove the extra `/`"),
                });
            }
            continue;
        }
        match check_segment(part) {
            Ok(None) => {}
            Ok(Some((catch_all, name))) => {
                let param = Param {
                    name: name.to_string(),
                    catch_all,
                    range,
                };
                if out.params.iter().any(|p| p.name == name) {
                    out.errors.push(PatternError {
                        range: param.range.clone(),
                        message: format!(
                            "parameter `{{{name}}}` appears twice in \"{pattern}\": give each parameter its own name"
                        ),
                    });
                    continue;
                }
                if catch_all && !last {
                    out.errors.push(PatternError {
                        range: param.range.clone(),
                        message: format!(
                            "`{part}` must be the last segment: a catch-all takes the rest of the path"
                        ),
                    });
                }
                out.params.push(param);
            }
            Err(message) => out.errors.push(PatternError { range, message }),
        }
    }
    out
}

/// `Ok(None)` for literal text, `Ok(Some((catch_all, name)))` for a parameter.
fn check_segment(part: &str) -> Result<Option<(bool, &str)>, String> {
    let Some(inner) = part.strip_prefix('{') else {
        return if part.contains('{') {
            Err(format!(
                "`{part}`: a parameter must be a whole segment, like `/{{id}}`, not mixed with other text"
            ))
        } else if part.contains('}') {
            Err(format!("`{part}` has a `}}` without a matching `{{`"))
        } else {
            Ok(None)
        };
    };
    let Some(inner) = inner.strip_suffix('}') else {
        return Err(if part.contains('}') {
            format!("`{part}`: a parameter must be a whole segment, like `/{{id}}`, not mixed with other text")
        } else {
            format!("`{part}` is missing its closing `}}`: write `{part}}}`")
        });
    };
    let (catch_all, name) = match inner.strip_prefix('*') {
        Some(name) => (true, name),
        None => (false, inner),
    };
    if name.is_empty() {
        return Err(format!("`{part}`: a parameter needs a name, like `{{id}}`"));
    }
    let identifier = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !identifier {
        return Err(format!(
            "`{part}`: a parameter name must be an identifier (ASCII letters, digits and `_`, not starting with a digit)"
        ));
    }
    Ok(Some((catch_all, name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pattern: &str) -> Vec<String> {
        let checked = check(pattern);
        assert!(checked.errors.is_empty(), "{pattern}: {:?}", checked.errors);
        checked.params.iter().map(Param::written).collect()
    }

    fn first_error(pattern: &str) -> PatternError {
        check(pattern)
            .errors
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{pattern} should be refused"))
    }

    #[test]
    fn finds_params_in_order() {
        assert_eq!(names("/"), Vec::<String>::new());
        assert_eq!(names("/users/"), Vec::<String>::new());
        assert_eq!(names("/users/{id}/posts/{post_id}"), ["{id}", "{post_id}"]);
        assert_eq!(names("/static/{*path}"), ["{*path}"]);
        assert_eq!(names("/{_x1}/"), ["{_x1}"]);
    }

    #[test]
    fn param_ranges_cover_the_braces() {
        let p = "/users/{id}";
        let checked = check(p);
        assert_eq!(&p[checked.params[0].range.clone()], "{id}");
    }

    #[test]
    fn refuses_a_missing_leading_slash() {
        let e = first_error("users");
        assert_eq!(
            e.message,
            "a route path must start with `/`: write \"/users\""
        );
        assert!(first_error("").message.contains("empty"));
    }

    #[test]
    fn refuses_an_empty_inner_segment_and_points_at_it() {
        let e = first_error("/a//b");
        assert_eq!(e.range, 2..4);
        assert!(e.message.contains("remove the extra `/`"));
    }

    #[test]
    fn refuses_unbalanced_braces_naming_the_segment() {
        assert_eq!(
            first_error("/users/{id").message,
            "`{id` is missing its closing `}`: write `{id}`"
        );
        assert!(first_error("/users/id}")
            .message
            .starts_with("`id}` has a `}` without"));
        assert!(first_error("/users/{id}.json")
            .message
            .contains("whole segment"));
        assert!(first_error("/users/x{id}")
            .message
            .contains("whole segment"));
    }

    #[test]
    fn refuses_bad_names() {
        for p in ["/{1id}", "/{a-b}", "/{é}", "/{*}", "/{}", "/{a{b}"] {
            let e = first_error(p);
            assert!(e.message.contains("name"), "{p}: {}", e.message);
        }
    }

    #[test]
    fn refuses_a_catch_all_before_the_end() {
        let e = first_error("/{*rest}/more");
        assert_eq!(e.range, 1..8);
        assert!(e.message.starts_with("`{*rest}` must be the last segment"));
    }

    #[test]
    fn refuses_a_name_twice_pointing_at_the_second() {
        let e = first_error("/{id}/x/{id}");
        assert_eq!(e.range, 8..12);
        assert!(e.message.contains("`{id}` appears twice"));
    }

    #[test]
    fn reports_every_problem() {
        assert_eq!(check("/a//{id/{1}").errors.len(), 3);
    }

    /// The rules must be the router's: generate many patterns and compare the verdicts and the names.
    #[test]
    fn agrees_with_the_router() {
        let parts = [
            "",
            "a",
            "{id}",
            "{*rest}",
            "{id",
            "id}",
            "{}",
            "{1x}",
            "{a-b}",
            "x{id}",
            "{*}",
            "{id}.json",
            "{_}",
            "{é}",
            "{x}",
            "{*x}",
            "}{",
            "{{a}}",
        ];
        let mut patterns = vec![String::new()];
        for a in parts {
            patterns.push(a.to_string());
            for b in parts {
                for c in parts {
                    patterns.push(format!("/{a}/{b}/{c}"));
                }
                patterns.push(format!("/{a}/{b}"));
            }
            patterns.push(format!("/{a}"));
        }
        for p in &patterns {
            let ours = check(p);
            let theirs = micro_http::router::parse_pattern(p);
            assert_eq!(
                ours.errors.is_empty(),
                theirs.is_ok(),
                "verdicts differ on {p:?}: {:?}",
                ours.errors
            );
            if let Ok(segments) = theirs {
                let theirs: Vec<String> = segments
                    .iter()
                    .filter_map(|s| match s {
                        micro_http::router::Segment::Param(n) => Some(format!("{{{n}}}")),
                        micro_http::router::Segment::CatchAll(n) => Some(format!("{{*{n}}}")),
                        micro_http::router::Segment::Static(_) => None,
                    })
                    .collect();
                let ours: Vec<String> = ours.params.iter().map(Param::written).collect();
                assert_eq!(ours, theirs, "names differ on {p:?}");
            }
        }
    }
}
