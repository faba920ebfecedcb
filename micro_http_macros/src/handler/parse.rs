//! Checking a handler's signature and sorting its arguments.

use syn::ext::IdentExt;
use syn::{FnArg, Ident, ItemFn, Pat, Type};

use super::{Arg, Handler, HandlerKind, Role};
use crate::errors::{source_text, Errors};

/// The last segments of the extractor types known to read the request body. Only used to word the "two
/// arguments read the body" error and to extract them last; the rule itself is checked on the types'
/// `FromRequest::READS_BODY` by the generated code, so custom body extractors count too.
const BODY_EXTRACTORS: [&str; 7] = [
    "Json",
    "Form",
    "String",
    "Bytes",
    "Body",
    "Request",
    "Multipart",
];

/// Checks `item`'s signature and sorts its arguments: an argument whose pattern is an identifier in
/// `param_names` is a path parameter, every other one an extractor. Problems go to `errors`; the handler is
/// returned all the same so the caller can check more.
pub fn parse<'a>(
    item: &'a ItemFn,
    param_names: &[String],
    kind: HandlerKind,
    errors: &mut Errors,
) -> Handler<'a> {
    check_signature(item, kind, errors);
    let mut args = Vec::new();
    let mut takes_all_params = false;
    let mut body_reader: Option<String> = None;
    for input in &item.sig.inputs {
        let FnArg::Typed(arg) = input else {
            // The receiver was reported by `check_signature`.
            continue;
        };
        let ty = &*arg.ty;
        if let Type::ImplTrait(_) = ty {
            errors.spanned(
                ty,
                format!(
                    "{} cannot take `impl Trait` arguments: name the extractor type, like `Query<Params>`",
                    kind.noun()
                ),
            );
        }
        let role = match plain_ident(&arg.pat) {
            Some(name) if param_names.contains(&name) => Role::PathParam(name),
            _ => {
                let last = last_segment(ty).map(|i| i.to_string());
                takes_all_params |= last.as_deref() == Some("Path");
                let reads_body = last.is_some_and(|l| BODY_EXTRACTORS.contains(&l.as_str()));
                if reads_body {
                    let this = source_text(arg);
                    match &body_reader {
                        Some(first) => errors.spanned(
                            ty,
                            format!(
                                "two arguments read the request body, `{first}` and `{this}`: the body can be \
                                 read only once, so keep one of them"
                            ),
                        ),
                        None => body_reader = Some(this),
                    }
                }
                Role::Extractor { reads_body }
            }
        };
        args.push(Arg { ty, role });
    }
    Handler {
        item,
        args,
        takes_all_params,
    }
}

/// Everything but the arguments: a handler is a plain `async fn` the server can call.
fn check_signature(item: &ItemFn, kind: HandlerKind, errors: &mut Errors) {
    let sig = &item.sig;
    let noun = kind.noun();
    if let Some(constness) = &sig.constness {
        errors.spanned(
            constness,
            format!("{noun} cannot be `const fn`: remove `const`"),
        );
    }
    if sig.asyncness.is_none() {
        errors.spanned(
            sig.fn_token,
            format!("{noun} must be `async fn`; add `async`"),
        );
    }
    if let syn::Safety::Unsafe(unsafety) = &sig.safety {
        errors.spanned(
            unsafety,
            format!("{noun} cannot be `unsafe fn`: the server could not uphold their safety contract; remove `unsafe`"),
        );
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(
            abi,
            format!(
                "{noun} cannot declare an ABI: remove `{}`",
                source_text(abi)
            ),
        );
    }
    if !sig.generics.params.is_empty() {
        errors.spanned(
            &sig.generics,
            format!(
                "{noun} cannot be generic: the server needs one concrete type per argument; remove `{}` and name \
                 the types",
                source_text(&sig.generics)
            ),
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.spanned(
            where_clause,
            format!("{noun} cannot have a `where` clause: remove it"),
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic, format!("{noun} cannot be variadic: remove `...`"));
    }
    if let Some(receiver) = sig.receiver() {
        errors.spanned(
            receiver,
            format!(
                "{noun} cannot take `self`: make it a free `async fn` outside the `impl` block, and take shared data \
                 as `State<T>`"
            ),
        );
    }
}

/// The name an argument binds, when its pattern is a plain identifier (`id`, `mut id`), raw `r#` removed.
fn plain_ident(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() => Some(p.ident.unraw().to_string()),
        _ => None,
    }
}

/// The last segment of a type's path: `Json` for `micro_http::Json<T>`.
fn last_segment(ty: &Type) -> Option<&Ident> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| &s.ident),
        Type::Paren(p) => last_segment(&p.elem),
        Type::Group(g) => last_segment(&g.elem),
        _ => None,
    }
}
