//! The generated wrapper around a handler fn: a `HandlerFn` that builds each argument, calls the user's fn and
//! turns what it returns into a response.
//!
//! Each trait bound the user's types must meet is required by an expression spanned at the type itself, so the
//! compile error (with the trait's `on_unimplemented` message) lands on the offending argument or return type.
//! Those expressions are spanned *exactly* as the type, hygiene included: rustc then sees the errors that an
//! expression and its parts raise about the same bound as one, and shows it once. Only the identifiers of the
//! wrapper's own locals take the macro's hygiene, so that they resolve wherever the handler was written (in a
//! `macro_rules!` too).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{LitStr, ReturnType};

use super::{Handler, Role};

/// `fn __micro_http_handler(Request) -> Handled`, and the check that at most one argument reads the body. Meant
/// to sit in a `const _: () = { ... };` block beside the user's fn. A handler that takes only path parameters and
/// whose body cannot suspend ([`super::suspend`]) is run where it is called (`Handled::Ready`); any other gives its
/// boxed future (`Handled::Future`).
pub fn wrapper(handler: &Handler) -> TokenStream {
    let ident = handler.ident();
    let mut params = Vec::new();
    let mut extractors = Vec::new();
    let mut body = Vec::new();
    let mut vars = Vec::new();
    for (i, arg) in handler.args.iter().enumerate() {
        let ty = arg.ty;
        let at = ty.span();
        let var = local(&format!("__arg{i}"), at);
        let req = local("__req", at);
        match &arg.role {
            Role::PathParam(name) => {
                let parse =
                    quote_spanned!(at=> ::micro_http::__private::path_param::<#ty>(&#req, #name));
                params.push(quote_spanned! {at=>
                    let #var = match #parse {
                        ::core::result::Result::Ok(__v) => __v,
                        ::core::result::Result::Err(__response) => return __response,
                    };
                });
            }
            Role::Extractor { reads_body } => {
                let extract = quote_spanned!(at=> <#ty as ::micro_http::FromRequest>::from_request(&mut #req).await);
                let stmt = quote_spanned! {at=>
                    let #var = match #extract {
                        ::core::result::Result::Ok(__v) => __v,
                        ::core::result::Result::Err(__e) => return ::micro_http::__private::reject(&#req, __e),
                    };
                };
                // The body extractor goes last, whatever its place among the arguments: the ones before it may
                // still look at the whole request.
                if *reads_body {
                    body.push(stmt);
                } else {
                    extractors.push(stmt);
                }
            }
        }
        vars.push(format_ident!("__arg{}", i));
    }
    let req_binding = if extractors.is_empty() && body.is_empty() {
        quote!(__req)
    } else {
        quote!(mut __req)
    };
    let at_ret = match &handler.item.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => ident.span(),
    };
    // The block makes the argument's span the return type's (its error is reported on the argument).
    let response = local("__response", at_ret);
    let respond = quote_spanned!(at_ret=> ::micro_http::__private::respond({ #response }));
    let body_check = body_check(handler);
    // Only path parameters (built without waiting) and a body that cannot suspend: run it all as it is called.
    let runs_at_once = extractors.is_empty()
        && body.is_empty()
        && super::suspend::never_suspends(&handler.item.block);
    if runs_at_once {
        let name = ident.unraw().to_string();
        return quote! {
            #body_check
            fn __micro_http_handler(__req: &mut ::micro_http::Request) -> ::micro_http::__private::Handled {
                ::micro_http::__private::Handled::Ready(__micro_http_run(__req))
            }

            #[inline]
            fn __micro_http_run(__req: &mut ::micro_http::Request) -> ::micro_http::Response {
                #(#params)*
                let #response = ::micro_http::__private::complete(#ident(#(#vars),*), #name);
                #respond
            }
        };
    }
    // A future that is not `Send` is reported on the fn's name rather than on the attribute.
    let at_name = ident.span();
    let future = quote_spanned! {at_name=>
        ::std::boxed::Box::pin(async move {
            #(#params)*
            #(#extractors)*
            #(#body)*
            let #response = #ident(#(#vars),*).await;
            #respond
        })
    };
    quote! {
        #body_check
        fn __micro_http_handler(__lent: &mut ::micro_http::Request) -> ::micro_http::__private::Handled {
            let #req_binding = ::micro_http::__private::take_request(__lent);
            ::micro_http::__private::Handled::Future(#future)
        }
    }
}

/// One of the wrapper's locals, located at `at` but resolved like the rest of the generated code.
fn local(name: &str, at: Span) -> Ident {
    Ident::new(name, at.resolved_at(Span::call_site()))
}

/// A constant assertion on the extractor types' `READS_BODY`. The macro already refuses two arguments of the body
/// extractor types it knows, with a better message; this catches custom body extractors.
fn body_check(handler: &Handler) -> TokenStream {
    let types: Vec<_> = handler
        .args
        .iter()
        .filter(|a| matches!(a.role, Role::Extractor { .. }))
        .map(|a| {
            let ty = a.ty;
            // Spanned like the extraction, so that a type that is no extractor is reported once.
            quote_spanned!(ty.span()=> (<#ty as ::micro_http::FromRequest>::READS_BODY as usize))
        })
        .collect();
    if types.len() < 2 {
        return TokenStream::new();
    }
    let message = LitStr::new(
        &format!(
            "handler `{}` has more than one argument that reads the request body (`FromRequest::READS_BODY`): \
             the body can be read only once, so keep one of them",
            handler.ident()
        ),
        Span::call_site(),
    );
    // Reported on the argument list: the panic's location is the `assert!`'s.
    let args = handler.item.sig.paren_token.span.join();
    quote_spanned! {args=>
        const _: () = ::core::assert!(#(#types)+* <= 1, #message);
    }
}

/// What differs between a route's registration and an error handler's.
pub struct Registry {
    /// The distributed slice it goes in (`ROUTES`, `ERROR_HANDLERS`).
    pub slice: TokenStream,
    /// The type of the entry (`RouteDef`, `ErrorHandlerDef`).
    pub def: TokenStream,
    /// The trait the struct of the fn's name implements (`Route`, `ErrorHandler`).
    pub trait_name: TokenStream,
    /// The entry's fields besides `name`, `handler`, `file` and `line`.
    pub fields: TokenStream,
    /// The struct's rustdoc.
    pub doc: String,
}

/// The user's fn unchanged, then beside it a struct of the same name (type namespace) and, in an anonymous
/// const, the handler wrapper and the link-time registration in `registry.slice`.
pub fn registration(handler: &Handler, registry: Registry) -> TokenStream {
    let func = handler.item;
    let ident = handler.ident();
    let vis = &func.vis;
    let name = ident.unraw().to_string();
    let wrapper = wrapper(handler);
    let location = location(ident);
    let cfg: Vec<_> = handler.cfg_attrs().collect();
    let Registry {
        slice,
        def,
        trait_name,
        fields,
        doc,
    } = registry;
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

            #[::micro_http::__private::linkme::distributed_slice(::micro_http::__private::#slice)]
            #[linkme(crate = ::micro_http::__private::linkme)]
            static __MICRO_HTTP_DEF: ::micro_http::__private::#def = ::micro_http::__private::#def {
                name: ::core::concat!(::core::module_path!(), "::", #name),
                handler: __micro_http_handler,
                #fields
                #location
            };

            impl ::micro_http::__private::#trait_name for #ident {
                fn def() -> &'static ::micro_http::__private::#def {
                    &__MICRO_HTTP_DEF
                }
            }
        };
    }
}

/// `file` and `line` fields for a registration: spanned at the fn's name, so `line!()` gives that line rather
/// than the attribute's.
fn location(ident: &Ident) -> TokenStream {
    quote_spanned! {ident.span()=>
        file: ::core::file!(),
        line: ::core::line!(),
    }
}
