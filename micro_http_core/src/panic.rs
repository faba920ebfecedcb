//! Turning a panic inside a handler into a 500 for that request alone.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::StatusCode;

use crate::handler::{BoxFuture, Handled, Handler};
use crate::request::Request;
use crate::response::Response;

/// Calls `handler`; a panic while it runs (a handler that answers at once runs entirely here) becomes a 500.
pub(crate) fn call(handler: &Handler, req: &mut Request) -> Handled {
    // Nothing of the handler is used after a panic: only the 500 is.
    caught(|| handler.call(req), Handled::Ready)
}

/// Runs `f`; if it panics, logs the panic and gives `on_panic` of a 500 instead.
fn caught<T>(f: impl FnOnce() -> T, on_panic: impl FnOnce(Response) -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            tracing::error!(panic = %panic_message(&payload), "handler panicked; answering 500");
            on_panic(internal_error())
        }
    }
}

/// A handler future whose panics become `500 Internal Server Error`.
pub(crate) struct CatchPanic {
    inner: BoxFuture<Response>,
}

impl CatchPanic {
    pub(crate) fn new(inner: BoxFuture<Response>) -> Self {
        CatchPanic { inner }
    }
}

impl Future for CatchPanic {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        // The future is dropped after a panic, never polled again, so its possibly broken state is never seen:
        // that is what makes the AssertUnwindSafe sound.
        caught(|| self.inner.as_mut().poll(cx), Poll::Ready)
    }
}

pub(crate) fn internal_error() -> Response {
    Response::text(StatusCode::INTERNAL_SERVER_ERROR, "internal server error\n")
}

fn panic_message(payload: &Box<dyn Any + Send>) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}
