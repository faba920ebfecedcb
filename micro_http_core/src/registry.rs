//! The link-time registry: every route attribute in the program adds an entry here, so
//! [`App::from_routes`](crate::App::from_routes) finds them all without a list.

use http::Method;

use crate::handler::HandlerFn;

pub use linkme;

/// The methods a route answers.
#[derive(Debug, Clone, Copy)]
pub enum MethodSet {
    /// Only these methods.
    Only(&'static [Method]),
    /// Every method (`#[any]`).
    Any,
}

/// One route, as a route attribute registers it.
#[derive(Debug)]
pub struct RouteDef {
    /// The handler fn's path, e.g. `my_app::users::user`.
    pub name: &'static str,
    /// The methods it answers.
    pub methods: MethodSet,
    /// The path pattern, e.g. `/users/{id}`.
    pub path: &'static str,
    /// The generated handler.
    pub handler: HandlerFn,
    /// This route's body size limit, when it sets one (`limit = "10MiB"`).
    pub body_limit: Option<u64>,
    /// Where the handler is defined.
    pub file: &'static str,
    /// The line of the handler's name.
    pub line: u32,
}

/// The `#[error_handler]` fn: it answers every request no route matches (status 404 unless it sets another).
#[derive(Debug)]
pub struct ErrorHandlerDef {
    /// The handler fn's path.
    pub name: &'static str,
    /// The generated handler.
    pub handler: HandlerFn,
    /// Where it is defined.
    pub file: &'static str,
    /// The line of the handler's name.
    pub line: u32,
}

/// Every route attribute in the program.
#[linkme::distributed_slice]
pub static ROUTES: [RouteDef];

/// Every `#[error_handler]` in the program (a valid program has at most one).
#[linkme::distributed_slice]
pub static ERROR_HANDLERS: [ErrorHandlerDef];

/// Implemented by the struct a route attribute generates beside the handler fn (same name, type namespace),
/// so an app can be assembled from chosen routes: `App::new().mount::<user>()`.
pub trait Route {
    /// The route's registration.
    fn def() -> &'static RouteDef;
}

/// Implemented by the struct `#[error_handler]` generates beside its fn.
pub trait ErrorHandler {
    /// The error handler's registration.
    fn def() -> &'static ErrorHandlerDef;
}
