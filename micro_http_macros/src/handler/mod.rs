//! The user's handler fn, shared by route attributes and `#[error_handler]`: its signature is checked and its
//! arguments sorted into path parameters and extractors ([`parse`]), then a wrapper of the runtime's
//! `HandlerFn` type is generated around it ([`codegen`]).

pub mod codegen;
pub mod parse;
pub mod suspend;

use syn::{Attribute, Ident, ItemFn, Type};

/// Which attribute a handler is under; it words the error messages.
#[derive(Debug, Clone, Copy)]
pub enum HandlerKind {
    /// A route attribute (`get`, `route`, ...).
    Route,
    /// `#[error_handler]`.
    ErrorHandler,
}

impl HandlerKind {
    /// What the messages call such a fn.
    pub fn noun(self) -> &'static str {
        match self {
            HandlerKind::Route => "route handlers",
            HandlerKind::ErrorHandler => "error handlers",
        }
    }
}

/// A checked handler fn.
pub struct Handler<'a> {
    /// The fn as written.
    pub item: &'a ItemFn,
    /// Its arguments, in order.
    pub args: Vec<Arg<'a>>,
    /// One argument is a `Path<T>`, which takes every path parameter.
    pub takes_all_params: bool,
}

impl Handler<'_> {
    /// The fn's name.
    pub fn ident(&self) -> &Ident {
        &self.item.sig.ident
    }

    /// The fn's `#[cfg(...)]` attributes: what is generated beside the fn exists when the fn does.
    pub fn cfg_attrs(&self) -> impl Iterator<Item = &Attribute> {
        self.item.attrs.iter().filter(|a| a.path().is_ident("cfg"))
    }

    /// Whether argument `name` is a path parameter of the handler.
    pub fn has_param(&self, name: &str) -> bool {
        self.args
            .iter()
            .any(|a| matches!(&a.role, Role::PathParam(n) if n == name))
    }
}

/// One argument of a handler.
pub struct Arg<'a> {
    /// Its type as written.
    pub ty: &'a Type,
    /// How the generated code builds it.
    pub role: Role,
}

/// How an argument is built from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Parsed from the path segment `{name}` with `FromParam`.
    PathParam(String),
    /// Built with `FromRequest`; `reads_body` when its type is one of the known body extractors.
    Extractor {
        /// The type is a known body extractor, extracted after all the others.
        reads_body: bool,
    },
}
