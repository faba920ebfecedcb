//! Handlers: the type-erased form every route takes, whether written with an attribute or given to the builder.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::request::Request;
use crate::response::{IntoResponse, Response};

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What calling a handler gives: the response itself, or a future of it.
///
/// A handler whose body cannot suspend (no `.await` in it, no macro that could expand to one) and that takes only
/// path parameters is run by the route attribute's generated code as it is called: its response comes back at
/// once, with no future to allocate. Every other handler gives a boxed future.
pub enum Handled {
    /// The handler has run; this is its response.
    Ready(Response),
    /// The handler's future, to be polled to its response.
    Future(BoxFuture<Response>),
}

/// The function the route attributes generate for each handler: extract the arguments, call the user's fn,
/// convert its return value. The request is lent: a handler that runs at once reads it where it lies, one that
/// gives a future takes it out ([`__private::take_request`](crate::__private::take_request)) — so the request is
/// not moved through every layer of the call.
pub type HandlerFn = fn(&mut Request) -> Handled;

/// A route's handler, erased to one type.
///
/// A generated [`HandlerFn`] is kept as the fn pointer it is and called directly: through a `dyn Fn` it took a
/// second indirect call and one more move of the `Request` per request.
#[derive(Clone)]
pub struct Handler(Erased);

#[derive(Clone)]
enum Erased {
    Generated(HandlerFn),
    Boxed(Arc<dyn Fn(&mut Request) -> Handled + Send + Sync + 'static>),
}

impl Handler {
    /// Calls the handler with `req` (which it may take, leaving a placeholder).
    pub(crate) fn call(&self, req: &mut Request) -> Handled {
        match &self.0 {
            Erased::Generated(f) => f(req),
            Erased::Boxed(f) => f(req),
        }
    }
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Erased::Generated(_) => "Handler(generated)",
            Erased::Boxed(_) => "Handler(closure)",
        })
    }
}

/// Anything the builder accepts as a handler: an `async fn(Request) -> impl IntoResponse`, a closure
/// returning such a future, or a generated [`HandlerFn`].
pub trait IntoHandler: Send + Sync + 'static {
    /// Erases the handler.
    fn into_handler(self) -> Handler;
}

impl<F, Fut, R> IntoHandler for F
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse,
{
    fn into_handler(self) -> Handler {
        Handler(Erased::Boxed(Arc::new(move |req: &mut Request| {
            let fut = self(req.take());
            Handled::Future(Box::pin(async move { fut.await.into_response() }))
        })))
    }
}

/// Wraps a generated [`HandlerFn`] without a second layer of boxing.
pub(crate) fn from_fn(f: HandlerFn) -> Handler {
    Handler(Erased::Generated(f))
}
