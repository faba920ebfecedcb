//! Whether a handler's body can suspend. One that cannot is run to completion where it is called, so it needs
//! no boxed future (`Handled::Ready`): what the plaintext and JSON benchmarks and most small handlers are.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::Block;

/// Macros known to expand to plain expressions: an `.await` can reach their expansion only through their
/// arguments, which are searched like the rest of the body. Any other macro call might expand to an `.await`
/// (`tokio::join!`, `select!`, a user's `macro_rules!`), so a body with one is treated as able to suspend.
const PLAIN_MACROS: &[&str] = &[
    "format",
    "format_args",
    "write",
    "writeln",
    "print",
    "println",
    "eprint",
    "eprintln",
    "vec",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "panic",
    "unreachable",
    "todo",
    "unimplemented",
    "concat",
    "stringify",
    "matches",
    "env",
    "option_env",
    "include_str",
    "include_bytes",
    "line",
    "column",
    "file",
    "module_path",
    "cfg",
    "dbg",
    // serde_json and minijinja: values built from their arguments.
    "json",
    "context",
    // tracing: events from their arguments.
    "trace",
    "debug",
    "info",
    "warn",
    "error",
];

/// `true` if `body` has no suspension point: no `.await` anywhere in it (macro arguments included) and no call of
/// a macro outside [`PLAIN_MACROS`]. An `async` block has no other way to suspend, so its future is ready on its
/// first poll. Conservative: `if !(x)` looks like a macro call named `if` and keeps the boxed path, which is
/// always correct.
pub fn never_suspends(body: &Block) -> bool {
    tokens_never_suspend(body.to_token_stream())
}

fn tokens_never_suspend(tokens: TokenStream) -> bool {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(ident) if ident == "await" => return false,
            TokenTree::Ident(ident) => {
                let is_macro_call = matches!(
                    (tokens.get(i + 1), tokens.get(i + 2)),
                    (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(_))) if bang.as_char() == '!'
                );
                if is_macro_call && !PLAIN_MACROS.iter().any(|m| ident == m) {
                    return false;
                }
            }
            TokenTree::Group(group) => {
                if !tokens_never_suspend(group.stream()) {
                    return false;
                }
            }
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::never_suspends;

    fn body(src: &str) -> bool {
        never_suspends(&syn::parse_str(src).expect("a block"))
    }

    #[test]
    fn plain_bodies_never_suspend() {
        assert!(body("{ \"Hello, World!\" }"));
        assert!(body("{ Json(Message { message: \"hi\" }) }"));
        assert!(body(
            "{ let x = id * 2; if x != 4 { format!(\"{x}\") } else { String::new() } }"
        ));
        assert!(body(
            "{ tracing::info!(id, \"hit\"); vec![1, 2].len().to_string() }"
        ));
        assert!(body("{ let f = async_work(); drop(f); \"not awaited\" }"));
    }

    #[test]
    fn an_await_anywhere_can_suspend() {
        assert!(!body("{ work().await }"));
        assert!(!body("{ let x = { inner().await }; x }"));
        assert!(!body("{ format!(\"{}\", work().await) }"));
        assert!(!body("{ let c = || async { work().await }; \"x\" }"));
    }

    #[test]
    fn unknown_macros_can_suspend() {
        assert!(!body("{ tokio::join!(a(), b()); \"x\" }"));
        assert!(!body("{ my_macro!(); \"x\" }"));
        assert!(!body("{ select! { _ = a => 1 } }"));
        // Conservative, not wrong: a negated parenthesised condition looks like a call of `if!`.
        assert!(!body("{ if !(a) { 1 } else { 2 } }"));
    }
}
