//! The arguments of a route attribute: `("/users/{id}", method = "GET", limit = "10MiB")`.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Token};

use crate::errors::Errors;
use crate::path::{self, Param};
use crate::size::parse_size;

/// The methods a route attribute can name, as spelled by `http::Method`'s constants.
pub const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
];

/// Which route attribute is being expanded.
#[derive(Debug, Clone, Copy)]
pub enum RouteMacro {
    /// `#[get]`, `#[post]`, ...: its name and its method.
    Method(&'static str, &'static str),
    /// `#[route(..., method = "...")]`.
    Route,
    /// `#[any]`.
    Any,
}

impl RouteMacro {
    /// The attribute's name, as the user writes it.
    pub fn name(self) -> &'static str {
        match self {
            RouteMacro::Method(name, _) => name,
            RouteMacro::Route => "route",
            RouteMacro::Any => "any",
        }
    }

    fn options(self) -> &'static str {
        match self {
            RouteMacro::Route => "`method = \"GET\"` (one or more) and `limit = \"10MiB\"`",
            _ => "`limit = \"10MiB\"`",
        }
    }

    fn example(self) -> String {
        match self {
            RouteMacro::Route => "#[route(\"/path\", method = \"GET\")]".to_string(),
            _ => format!("#[{}(\"/path\")]", self.name()),
        }
    }
}

/// The methods a route answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Methods {
    /// These, by constant name (`GET`).
    Only(Vec<&'static str>),
    /// Every method.
    Any,
}

/// A route attribute's arguments, checked.
pub struct RouteAttr {
    /// The path literal.
    pub path: LitStr,
    /// Its parameters.
    pub params: Vec<Param>,
    /// The methods.
    pub methods: Methods,
    /// `limit = "..."`, in bytes.
    pub body_limit: Option<u64>,
}

/// One comma-separated argument.
enum AttrArg {
    Lit(Lit),
    Option(Ident, Expr),
}

fn parse_arg(input: ParseStream) -> syn::Result<AttrArg> {
    if input.peek(Lit) {
        return input.parse().map(AttrArg::Lit);
    }
    let key = Ident::parse_any(input).map_err(|e| {
        let message =
            "expected the route path (a string literal like \"/users\") or an option like \
                       `limit = \"10MiB\"`";
        syn::Error::new(e.span(), message)
    })?;
    if !input.peek(Token![=]) {
        let message = format!("expected `{key} = \"...\"`: options are written `name = \"value\"`");
        return Err(syn::Error::new(key.span(), message));
    }
    input.parse::<Token![=]>()?;
    Ok(AttrArg::Option(key, input.parse()?))
}

/// What the arguments said, before the checks that need all of them.
#[derive(Default)]
struct Given {
    path: Option<LitStr>,
    methods: Vec<&'static str>,
    method_seen: bool,
    limit_seen: bool,
    body_limit: Option<u64>,
}

/// Parses and checks the arguments of `kind`. The path's parameters are returned even when something else is
/// wrong, so the caller can still check the handler against them; `None` when there is no usable path.
pub fn parse(kind: RouteMacro, args: TokenStream, errors: &mut Errors) -> Option<RouteAttr> {
    let parser = |input: ParseStream| {
        Punctuated::<AttrArg, Token![,]>::parse_terminated_with(input, parse_arg)
    };
    let args = errors.ok(parser.parse2(args))?;
    let mut given = Given::default();
    for arg in args {
        match arg {
            AttrArg::Lit(Lit::Str(lit)) => path_arg(kind, lit, &mut given, errors),
            AttrArg::Lit(other) => {
                let message = format!(
                    "the route path must be a string literal: `{}`",
                    kind.example()
                );
                errors.spanned(&other, message);
            }
            AttrArg::Option(key, value) => option_arg(kind, &key, &value, &mut given, errors),
        }
    }
    let Some(path) = given.path else {
        let message = format!("missing route path: write `{}`", kind.example());
        errors.at(Span::call_site(), message);
        return None;
    };
    let methods = match kind {
        RouteMacro::Method(_, method) => Methods::Only(vec![method]),
        RouteMacro::Any => Methods::Any,
        RouteMacro::Route => {
            if !given.method_seen {
                let message =
                    "#[route] needs the methods it answers: add `method = \"GET\"` (once per \
                               method), or use #[any] for every method";
                errors.spanned(&path, message);
            }
            Methods::Only(given.methods)
        }
    };
    let checked = path::check(&path.value());
    for e in &checked.errors {
        errors.at(span_in(&path, e.range.clone()), &e.message);
    }
    Some(RouteAttr {
        params: checked.params,
        path,
        methods,
        body_limit: given.body_limit,
    })
}

/// The path literal: once, first.
fn path_arg(kind: RouteMacro, lit: LitStr, given: &mut Given, errors: &mut Errors) {
    if given.path.is_some() {
        errors.spanned(&lit, "a route has one path: write one handler per path");
        return;
    }
    if given.method_seen || given.limit_seen {
        let message = format!("the route path comes first: `{}`", kind.example());
        errors.spanned(&lit, message);
    }
    given.path = Some(lit);
}

/// `name = value`.
fn option_arg(kind: RouteMacro, key: &Ident, value: &Expr, given: &mut Given, errors: &mut Errors) {
    match (key.to_string().as_str(), kind) {
        ("method", RouteMacro::Route) => {
            given.method_seen = true;
            if let Some((lit, method)) = method_value(value, errors) {
                if given.methods.contains(&method) {
                    errors.spanned(&lit, format!("method {method} is listed twice: remove one"));
                } else {
                    given.methods.push(method);
                }
            }
        }
        ("method", RouteMacro::Method(name, method)) => {
            let message = format!(
                "#[{name}] answers {method} only: to list methods use \
                 `#[route(\"/path\", method = \"{method}\", method = \"...\")]`"
            );
            errors.spanned(key, message);
        }
        ("method", RouteMacro::Any) => {
            let message = "#[any] answers every method: to list methods use \
                           `#[route(\"/path\", method = \"...\")]`";
            errors.spanned(key, message);
        }
        ("limit", _) => {
            if given.limit_seen {
                errors.spanned(key, "`limit` is given twice: keep one");
            }
            given.limit_seen = true;
            if let Some(lit) = string_value("limit", value, "10MiB", errors) {
                match parse_size(&lit.value()) {
                    Ok(n) => given.body_limit = Some(n),
                    Err(message) => errors.spanned(&lit, message),
                }
            }
        }
        _ => {
            let message = format!(
                "unknown option `{key}`: #[{}] takes {}",
                kind.name(),
                kind.options()
            );
            errors.spanned(key, message);
        }
    }
}

/// The string literal an option must be given.
fn string_value(key: &str, value: &Expr, example: &str, errors: &mut Errors) -> Option<LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit.clone()),
        _ => {
            errors.spanned(
                value,
                format!("`{key}` takes a string: `{key} = \"{example}\"`"),
            );
            None
        }
    }
}

/// The value of `method = "..."`, as the constant's name.
fn method_value(value: &Expr, errors: &mut Errors) -> Option<(LitStr, &'static str)> {
    let lit = string_value("method", value, "GET", errors)?;
    match method_const(&lit.value()) {
        Some(m) => Some((lit, m)),
        None => {
            errors.spanned(
                &lit,
                format!(
                    "unknown method \"{}\": use one of {}",
                    lit.value(),
                    METHODS.map(|m| format!("\"{m}\"")).join(", ")
                ),
            );
            None
        }
    }
}

/// The `Method` constant for a method name in any case.
pub fn method_const(name: &str) -> Option<&'static str> {
    METHODS.into_iter().find(|m| m.eq_ignore_ascii_case(name))
}

/// The span of bytes `range` of `lit`'s value: inside the literal where the compiler can tell (nightly), else the
/// whole literal, which is why every message also quotes the part it is about.
pub fn span_in(lit: &LitStr, range: std::ops::Range<usize>) -> Span {
    let token = lit.token();
    let source = token.to_string();
    // Offsets into the value are offsets into the source text only for a plain literal without escapes.
    if source.starts_with('"') && !source.contains('\\') {
        if let Some(span) = token.subspan(range.start + 1..range.end + 1) {
            return span;
        }
    }
    lit.span()
}

#[cfg(test)]
mod tests {
    use super::method_const;

    #[test]
    fn method_names_in_any_case() {
        assert_eq!(method_const("get"), Some("GET"));
        assert_eq!(method_const("Options"), Some("OPTIONS"));
        assert_eq!(method_const("TRACE"), Some("TRACE"));
        assert_eq!(method_const("CONNECT"), None);
        assert_eq!(method_const("GETT"), None);
    }
}
