//! What a route attribute adds beside the user's fn: its registration in `ROUTES` (see
//! `handler::codegen::registration`) with the methods, the path and the body limit.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::Ident;

use super::parse::{Methods, RouteAttr};
use crate::handler::codegen::{registration, Registry};
use crate::handler::Handler;

/// The user's fn unchanged, then its route.
pub fn route(attr: &RouteAttr, handler: &Handler) -> TokenStream {
    let ident = handler.ident();
    let path = &attr.path;
    let methods = match &attr.methods {
        Methods::Only(list) => {
            let consts = list.iter().map(|m| Ident::new(m, path.span()));
            quote!(::micro_http::__private::MethodSet::Only(&[#(::micro_http::Method::#consts),*]))
        }
        Methods::Any => quote!(::micro_http::__private::MethodSet::Any),
    };
    let methods_text = match &attr.methods {
        Methods::Only(list) => list.join(", "),
        Methods::Any => "any method".to_string(),
    };
    let body_limit = match attr.body_limit {
        Some(n) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    };
    let doc = format!(
        "Route registration for [`{name}`](fn@{ident}): `{methods_text} {path}`.\n\n\
         Every route is served by `App::from_routes()` and `serve!()`; mount this one alone with \
         `App::new().mount::<{ident}>()`.",
        name = ident.unraw(),
        path = path.value(),
    );
    registration(
        handler,
        Registry {
            slice: quote!(ROUTES),
            def: quote!(RouteDef),
            trait_name: quote!(Route),
            fields: quote! {
                methods: #methods,
                path: #path,
                body_limit: #body_limit,
            },
            doc,
        },
    )
}
