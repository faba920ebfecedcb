//! The route attributes: `#[get("/path")]` and its siblings, `#[route]` and `#[any]`.
//!
//! [`parse`] reads the attribute's arguments, [`crate::handler`] checks the fn, this module checks the two
//! against each other (every `{name}` has its argument), and [`codegen`] registers the route.

pub mod codegen;
pub mod parse;

use proc_macro2::TokenStream;
use syn::ItemFn;

use crate::errors::{with_item, Errors};
use crate::handler::{self, Handler, HandlerKind};
pub use parse::RouteMacro;

/// Expands route attribute `kind` with arguments `args` on `item`.
pub fn expand(kind: RouteMacro, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(e) => {
            let message = format!("#[{}] goes on an `async fn`: {e}", kind.name());
            return with_item(syn::Error::new(e.span(), message), item);
        }
    };
    let mut errors = Errors::default();
    let attr = parse::parse(kind, args, &mut errors);
    let names: Vec<String> = attr
        .iter()
        .flat_map(|a| a.params.iter().map(|p| p.name.clone()))
        .collect();
    let handler = handler::parse::parse(&func, &names, HandlerKind::Route, &mut errors);
    if let Some(attr) = &attr {
        check_params(attr, &handler, &mut errors);
    }
    match (errors.finish(), attr) {
        (Ok(()), Some(attr)) => codegen::route(&attr, &handler),
        (Err(e), _) => with_item(e, &func),
        (Ok(()), None) => unreachable!("a missing path is reported"),
    }
}

/// Every `{name}` of the path needs its argument, unless a `Path<T>` takes them all.
fn check_params(attr: &parse::RouteAttr, handler: &Handler, errors: &mut Errors) {
    if handler.takes_all_params {
        return;
    }
    for param in attr.params.iter().filter(|p| !handler.has_param(&p.name)) {
        let (ty, hint) = if param.catch_all {
            ("String", "")
        } else {
            ("T", " (T: what to parse it into, like `u32` or `String`)")
        };
        let message = format!(
            "`{written}` has no matching argument: add `{name}: {ty}` to `{func}`{hint}, or take all \
             parameters with a `Path<T>` argument",
            written = param.written(),
            name = param.name,
            func = handler.ident(),
        );
        errors.at(parse::span_in(&attr.path, param.range.clone()), message);
    }
}
