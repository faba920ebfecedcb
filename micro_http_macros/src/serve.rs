//! `serve!()` and `app!()`: the app made of every registered route, with state, and for `serve!` the address.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, Lit, LitStr, Token};

use crate::errors::Errors;

/// Which of the two macros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppMacro {
    /// `serve!`: address and state.
    Serve,
    /// `app!`: state only.
    App,
}

/// The checked arguments.
#[derive(Default)]
struct Args {
    addr: Option<LitStr>,
    states: Vec<Expr>,
}

/// Expands `serve!(input)` or `app!(input)`.
pub fn expand(which: AppMacro, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let parser = |stream: ParseStream| Ok(parse_args(which, stream, &mut errors));
    let args = parser.parse2(input).unwrap_or_default();
    if let Err(e) = errors.finish() {
        let errors = e.to_compile_error();
        // A block of the macro's usual type, so that `serve!(..).await` reports only the macro's errors.
        let stand_in = match which {
            AppMacro::Serve => {
                quote!(::micro_http::__private::serve(
                    ::micro_http::App::new(),
                    ::core::option::Option::None
                ))
            }
            AppMacro::App => quote!(::micro_http::App::new()),
        };
        return quote!({ #errors #stand_in });
    }
    let states = &args.states;
    let app = quote!(::micro_http::App::from_routes() #(.state(#states))*);
    match which {
        AppMacro::App => app,
        AppMacro::Serve => {
            let addr = match &args.addr {
                Some(addr) => quote!(::core::option::Option::Some(#addr)),
                None => quote!(::core::option::Option::None),
            };
            quote!(::micro_http::__private::serve(#app, #addr))
        }
    }
}

fn usage(which: AppMacro) -> &'static str {
    match which {
        AppMacro::Serve => {
            "serve! takes an optional address string, then any number of `state = value`: \
             `serve!(\"0.0.0.0:3000\", state = pool)`"
        }
        AppMacro::App => "app! takes any number of `state = value`: `app!(state = pool)`",
    }
}

/// Reads the arguments, reporting each mistake and going on while the rest can still be read.
fn parse_args(which: AppMacro, input: ParseStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    while !input.is_empty() {
        let step = parse_one(which, input, &mut args, errors).and_then(|()| {
            if input.is_empty() {
                return Ok(());
            }
            input
                .parse::<Token![,]>()
                .map(drop)
                .map_err(|e| syn::Error::new(e.span(), format!("expected `,`: {}", usage(which))))
        });
        if let Err(e) = step {
            errors.push(e);
            skip_rest(input);
        }
    }
    args
}

/// Nothing sensible can be read after tokens that do not parse: drop them, they are reported.
fn skip_rest(input: ParseStream) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((_, next)) = rest.token_tree() {
            rest = next;
        }
        Ok(((), rest))
    });
}

fn parse_one(
    which: AppMacro,
    input: ParseStream,
    args: &mut Args,
    errors: &mut Errors,
) -> syn::Result<()> {
    if input.peek(Lit) {
        let lit: Lit = input.parse()?;
        let Lit::Str(addr) = lit else {
            errors.spanned(
                &lit,
                "the address must be a string literal with a port, like `serve!(\"0.0.0.0:3000\")`",
            );
            return Ok(());
        };
        if which == AppMacro::App {
            errors.spanned(
                &addr,
                "app! does not bind an address: pass it to `serve!(\"...\")` or to `App::bind`",
            );
        } else if args.addr.is_some() {
            errors.spanned(&addr, "serve! takes one address");
        } else if !args.states.is_empty() {
            errors.spanned(
                &addr,
                format!(
                    "the address comes first: `serve!({}, state = ...)`",
                    quote!(#addr)
                ),
            );
        } else if let Err(message) = check_addr(&addr.value()) {
            errors.spanned(&addr, message);
        } else {
            args.addr = Some(addr);
        }
        return Ok(());
    }
    let key = Ident::parse_any(input).map_err(|e| syn::Error::new(e.span(), usage(which)))?;
    if !input.peek(Token![=]) {
        return Err(syn::Error::new(
            key.span(),
            format!("expected `{key} = value`: {}", usage(which)),
        ));
    }
    input.parse::<Token![=]>()?;
    let value: Expr = input.parse()?;
    if key == "state" {
        args.states.push(value);
    } else {
        errors.spanned(&key, format!("unknown argument `{key}`: {}", usage(which)));
    }
    Ok(())
}

/// An address the server can bind: `host:port`, the host a name or an IP (IPv6 in brackets).
fn check_addr(addr: &str) -> Result<(), String> {
    let example = "\"127.0.0.1:8080\", \"0.0.0.0:3000\", \"[::1]:8080\" or \"localhost:8080\"";
    match addr.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(format!(
            "\"{addr}\" is not an address with a port: write it like {example}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check_addr;

    #[test]
    fn addresses_need_a_host_and_a_port() {
        for ok in ["127.0.0.1:8080", "0.0.0.0:0", "[::1]:80", "localhost:3000"] {
            assert_eq!(check_addr(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "127.0.0.1",
            ":80",
            "localhost:http",
            "[::1]",
            "1.2.3.4:65536",
        ] {
            assert!(check_addr(bad).is_err(), "{bad}");
        }
    }
}
