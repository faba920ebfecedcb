//! What a route attribute adds beside the user's fn: a struct of the same name (the route, for
//! `App::mount::<name>()`), and in an anonymous const the handler wrapper and the registration in `ROUTES`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::Ident;

use super::parse::{Methods, RouteAttr};
use crate::handler::{codegen::wrapper, Handler};

/// The user's fn unchanged, then its route.
pub fn route(attr: &RouteAttr, handler: &Handler) -> TokenStream {
    let func = handler.item;
    let ident = handler.ident();
    let vis = &func.vis;
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
    let name = ident.unraw().to_string();
    let wrapper = wrapper(handler);
    let location = location(ident);
    let cfg: Vec<_> = handler.cfg_attrs().collect();
    quote! {
        #func

        #(#cfg)*
        #[doc = #doc]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #ident {}

        #(#cfg)*
        // A `#[deprecated]` handler warns its callers, not the registration.
        #[allow(deprecated)]
        const _: () = {
            #wrapper

            #[::micro_http::__private::linkme::distributed_slice(::micro_http::__private::ROUTES)]
            #[linkme(crate = ::micro_http::__private::linkme)]
            static __MICRO_HTTP_ROUTE: ::micro_http::__private::RouteDef = ::micro_http::__private::RouteDef {
                name: ::core::concat!(::core::module_path!(), "::", #name),
                methods: #methods,
                path: #path,
                handler: __micro_http_handler,
                body_limit: #body_limit,
                #location
            };

            impl ::micro_http::__private::Route for #ident {
                fn def() -> &'static ::micro_http::__private::RouteDef {
                    &__MICRO_HTTP_ROUTE
                }
            }
        };
    }
}

/// `file` and `line` fields for a registration: spanned at the fn's name, so `line!()` gives that line rather
/// than the attribute's.
pub fn location(ident: &Ident) -> TokenStream {
    quote_spanned! {ident.span()=>
        file: ::core::file!(),
        line: ::core::line!(),
    }
}
