//! The macros of [micro_http](https://docs.rs/micro_http): route attributes (`#[get]`, `#[post]`, ...,
//! `#[route]`, `#[any]`), `#[error_handler]`, `serve!` and `app!`.
//!
//! Use them through the facade: `use micro_http::prelude::*;`. Each route attribute checks the path and the
//! handler's signature at compile time, leaves the fn as written (so a unit test can call it), and registers it
//! at link time, so `serve!()` finds every route without a list.
//!
//! This file holds the entry points and their documentation only; the work is done in the modules: `path` and
//! `size` check path patterns and sizes, `route` and `error_handler` read the attributes, `handler` checks the fn
//! and generates its wrapper, `serve` builds the app.

use proc_macro::TokenStream;

mod error_handler;
mod errors;
mod handler;
mod path;
mod route;
mod serve;
mod size;

use route::RouteMacro;

/// The part of every route attribute's documentation after its syntax line.
macro_rules! route_rules_doc {
    () => {
        r#"
# Path
A string literal starting with `/`. A segment `{name}` matches one non-empty segment and `{*name}` (last segment
only) the rest of the path; names are identifiers and appear once. A trailing `/` is significant: `/users/` and
`/users` are two paths. The pattern is checked at compile time by the router's own rules.

# Arguments
- An argument named like a `{name}` of the path is that parameter, parsed with `FromParam` (any `FromStr` type
  with a displayable error: numbers, `String`, ...). A value that does not parse is answered with a 400 naming
  the parameter. Every `{name}` needs its argument, unless one argument is a `Path<T>`, which takes them all.
- Every other argument is an extractor (`FromRequest`): `Query<T>`, `Json<T>`, `Form<T>`, `Path<T>`,
  `State<T>`, `Headers`, `PeerAddr`, `String`, `Bytes`, `Body`, `Request`, or your own. Patterns like
  `Json(user): Json<User>` are fine. At most one argument reads the body; it is extracted after the others.
  A refused extraction answers for the handler (a 4xx saying what was wrong).

The fn returns anything that implements `IntoResponse`.

# Options
- `limit = "10MiB"`: this route's request body limit (larger bodies get 413). A whole number of bytes with an
  optional unit, case-insensitive: `B`, `KB`/`MB`/`GB` (powers of 1000), `KiB`/`MiB`/`GiB` (powers of 1024).

# What it generates
The fn is left as written. Beside it comes a struct of the same name (the route, with the fn's visibility):
`App::new().mount::<name>()` serves this route alone; `App::from_routes()`, `app!()` and `serve!()` serve every
route of the program.

Mistakes are compile errors that point at the path, the argument or the return type involved: a malformed
path, a `{name}` without its argument, an argument type that is not an extractor, two body extractors, a fn
that is not `async`, generic, or takes `self`.
"#
    };
}

/// Stamps one attribute per HTTP method from the shared implementation, each with its own documentation.
macro_rules! method_attributes {
    ($($name:ident => $method:literal, $client:ident;)+) => {$(
        #[doc = concat!(
            "Serves an `async fn` for `", $method, "` requests to a path.\n\n",
            "# Syntax\n```text\n#[", stringify!($name), "(\"/path\")]\n#[",
            stringify!($name), "(\"/path\", limit = \"10MiB\")]\n```\n",
            route_rules_doc!(),
            "\n# Example\n```\nuse micro_http::prelude::*;\n\n",
            "#[", stringify!($name), "(\"/items/{id}\")]\n",
            "async fn item(id: u32, headers: Headers) -> String {\n",
            "    format!(\"item {id}, {} headers\", headers.len())\n}\n\n",
            "# tokio::runtime::Runtime::new().unwrap().block_on(async {\n",
            "let client = micro_http::test::TestClient::from_routes();\n",
            "assert_eq!(client.", stringify!($client), "(\"/items/7\").send().await.status(), 200);\n",
            "assert_eq!(client.", stringify!($client), "(\"/items/x\").send().await.status(), 400);\n",
            "// The fn stays a plain async fn:\n",
            "assert_eq!(item(7, Headers::default()).await, \"item 7, 0 headers\");\n",
            "# });\n```\n",
        )]
        #[proc_macro_attribute]
        pub fn $name(args: TokenStream, item: TokenStream) -> TokenStream {
            route::expand(RouteMacro::Method(stringify!($name), $method), args.into(), item.into()).into()
        }
    )+};
}

method_attributes! {
    get => "GET", get;
    post => "POST", post;
    put => "PUT", put;
    patch => "PATCH", patch;
    delete => "DELETE", delete;
    head => "HEAD", head;
    options => "OPTIONS", options;
}

#[doc = concat!(
    "Serves an `async fn` for the listed methods of a path.\n\n",
    "# Syntax\n```text\n#[route(\"/path\", method = \"GET\", method = \"POST\")]\n",
    "#[route(\"/path\", method = \"PUT\", limit = \"10MiB\")]\n```\n",
    "At least one `method`, each one of `GET`, `HEAD`, `POST`, `PUT`, `DELETE`, `PATCH`, `OPTIONS`, `TRACE` ",
    "(any case). For every method, use [`macro@any`].\n",
    route_rules_doc!(),
    r#"
# Example
```
use micro_http::prelude::*;

#[route("/echo", method = "POST", method = "PUT", limit = "1KiB")]
async fn echo(body: String) -> String {
    body
}

# tokio::runtime::Runtime::new().unwrap().block_on(async {
let client = micro_http::test::TestClient::from_routes();
assert_eq!(client.put("/echo").body("hi").send().await.text(), "hi");
assert_eq!(client.get("/echo").send().await.status(), 405);
assert_eq!(client.post("/echo").body(vec![b'x'; 2000]).send().await.status(), 413);
# });
```
"#
)]
#[proc_macro_attribute]
pub fn route(args: TokenStream, item: TokenStream) -> TokenStream {
    route::expand(RouteMacro::Route, args.into(), item.into()).into()
}

#[doc = concat!(
    "Serves an `async fn` for every method of a path.\n\n",
    "# Syntax\n```text\n#[any(\"/path\")]\n#[any(\"/path\", limit = \"10MiB\")]\n```\n",
    "Take the `Method` from a `Request` argument when the handler needs it.\n",
    route_rules_doc!(),
    r#"
# Example
```
use micro_http::prelude::*;

#[any("/proxy/{*rest}")]
async fn proxy(rest: String, req: Request) -> String {
    format!("{} {rest}", req.method())
}

# tokio::runtime::Runtime::new().unwrap().block_on(async {
let client = micro_http::test::TestClient::from_routes();
assert_eq!(client.delete("/proxy/a/b").send().await.text(), "DELETE a/b");
# });
```
"#
)]
#[proc_macro_attribute]
pub fn any(args: TokenStream, item: TokenStream) -> TokenStream {
    route::expand(RouteMacro::Any, args.into(), item.into()).into()
}

/// Answers every request that no route matches with this `async fn`.
///
/// # Syntax
/// ```text
/// #[error_handler]
/// ```
/// No arguments. The fn takes extractors like a route handler (there is no path, so no path parameters) and
/// returns anything that implements `IntoResponse`. Its response is sent with status 404 unless it sets another
/// status than 200. A program has at most one.
///
/// Beside the fn (left as written) comes a struct of the same name: `App::new().mount_error_handler::<name>()`
/// uses it in an app built by hand; `App::from_routes()`, `app!()` and `serve!()` use it by themselves.
///
/// # Example
/// ```
/// use micro_http::prelude::*;
///
/// #[error_handler]
/// async fn not_found(req: Request) -> Html<String> {
///     Html(format!("<h1>Nothing at {}</h1>", req.path()))
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let res = micro_http::test::TestClient::from_routes().get("/nowhere").send().await;
/// assert_eq!(res.status(), 404);
/// assert_eq!(res.text(), "<h1>Nothing at /nowhere</h1>");
/// # });
/// ```
#[proc_macro_attribute]
pub fn error_handler(args: TokenStream, item: TokenStream) -> TokenStream {
    error_handler::expand(args.into(), item.into()).into()
}

/// Serves every route of the program: binds the address and runs until Ctrl-C or SIGTERM.
///
/// # Syntax
/// ```text
/// serve!()
/// serve!("0.0.0.0:3000")
/// serve!(state = value, state = other)
/// serve!("0.0.0.0:3000", state = value)
/// ```
/// Without an address it binds `MICRO_HTTP_ADDR`, else `127.0.0.1:8080`. Each `state = value` is given to the
/// app (one value per type), for handlers to take as `State<T>`. It expands to an `async` call returning
/// `std::io::Result<()>`: `.await` it. The app is [`app!`]'s.
///
/// # Example
/// ```no_run
/// use micro_http::prelude::*;
/// use std::sync::Arc;
///
/// struct Config { greeting: String }
///
/// #[get("/")]
/// async fn index(State(config): State<Arc<Config>>) -> String {
///     config.greeting.clone()
/// }
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let config = Arc::new(Config { greeting: "hello".into() });
///     serve!("0.0.0.0:3000", state = config).await
/// }
/// ```
#[proc_macro]
pub fn serve(input: TokenStream) -> TokenStream {
    serve::expand(serve::AppMacro::Serve, input.into()).into()
}

/// The app made of every route and `#[error_handler]` of the program, with state: an `App` to configure
/// further, bind, or test.
///
/// # Syntax
/// ```text
/// app!()
/// app!(state = value, state = other)
/// ```
/// `app!(state = x)` is `App::from_routes().state(x)`.
///
/// # Example
/// ```
/// use micro_http::prelude::*;
///
/// #[get("/hits")]
/// async fn hits(State(start): State<u64>) -> String {
///     start.to_string()
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let app = app!(state = 41u64).with_limits(|l| l.max_body_bytes = 1 << 20);
/// let client = micro_http::test::TestClient::new(app);
/// assert_eq!(client.get("/hits").send().await.text(), "41");
/// # });
/// ```
#[proc_macro]
pub fn app(input: TokenStream) -> TokenStream {
    serve::expand(serve::AppMacro::App, input.into()).into()
}
