//! `#[error_handler]`: the fn that answers requests no route matches. Same wrapper as a route, registered in
//! `ERROR_HANDLERS`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::ItemFn;

use crate::errors::{with_item, Errors};
use crate::handler::{self, codegen::wrapper, HandlerKind};
use crate::route::codegen::location;

/// Expands `#[error_handler]` with arguments `args` on `item`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(e) => {
            let message = format!("#[error_handler] goes on an `async fn`: {e}");
            return with_item(syn::Error::new(e.span(), message), item);
        }
    };
    let mut errors = Errors::default();
    if !args.is_empty() {
        errors.spanned(
            &args,
            "#[error_handler] takes no arguments: it answers every request that no route matches",
        );
    }
    // There is no path, so there are no path parameters: every argument is an extractor.
    let handler = handler::parse::parse(&func, &[], HandlerKind::ErrorHandler, &mut errors);
    if let Err(e) = errors.finish() {
        return with_item(e, &func);
    }
    let ident = handler.ident();
    let vis = &func.vis;
    let name = ident.unraw().to_string();
    let doc = format!(
        "Error handler registration for [`{name}`](fn@{ident}): it answers the requests no route matches.\n\n\
         `App::from_routes()` and `serve!()` use it; add it to another app with \
         `App::new().mount_error_handler::<{ident}>()`."
    );
    let wrapper = wrapper(&handler);
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

            #[::micro_http::__private::linkme::distributed_slice(::micro_http::__private::ERROR_HANDLERS)]
            #[linkme(crate = ::micro_http::__private::linkme)]
            static __MICRO_HTTP_ERROR_HANDLER: ::micro_http::__private::ErrorHandlerDef =
                ::micro_http::__private::ErrorHandlerDef {
                    name: ::core::concat!(::core::module_path!(), "::", #name),
                    handler: __micro_http_handler,
                    #location
                };

            impl ::micro_http::__private::ErrorHandler for #ident {
                fn def() -> &'static ::micro_http::__private::ErrorHandlerDef {
                    &__MICRO_HTTP_ERROR_HANDLER
                }
            }
        };
    }
}
