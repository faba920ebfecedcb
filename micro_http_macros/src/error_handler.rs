//! `#[error_handler]`: the fn that answers requests no route matches. Same wrapper as a route, registered in
//! `ERROR_HANDLERS`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::ItemFn;

use crate::errors::{with_item, Errors};
use crate::handler::codegen::{registration, Registry};
use crate::handler::{self, HandlerKind};

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
    let doc = format!(
        "Error handler registration for [`{name}`](fn@{ident}): it answers the requests no route matches.\n\n\
         `App::from_routes()` and `serve!()` use it; add it to another app with \
         `App::new().mount_error_handler::<{ident}>()`.",
        name = ident.unraw(),
    );
    registration(
        &handler,
        Registry {
            slice: quote!(ERROR_HANDLERS),
            def: quote!(ErrorHandlerDef),
            trait_name: quote!(ErrorHandler),
            fields: TokenStream::new(),
            doc,
        },
    )
}
