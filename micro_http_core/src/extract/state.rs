//! [`State<T>`]: application state given to the app.

use http::StatusCode;

use super::{FromRequest, Rejection};
use crate::request::Request;

/// A clone of the application state of type `T`, given with `serve!(state = value)` or
/// [`App::state`](crate::App::state). Wrap shared mutable state in an `Arc`.
///
/// ```
/// use micro_http_core::State;
/// use std::sync::{atomic::{AtomicU64, Ordering}, Arc};
///
/// async fn hits(State(counter): State<Arc<AtomicU64>>) -> String {
///     counter.fetch_add(1, Ordering::Relaxed).to_string()
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct State<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromRequest for State<T> {
    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        req.state::<T>().cloned().map(State).ok_or_else(|| {
            tracing::error!("State<{}> requested but never provided", std::any::type_name::<T>());
            Rejection::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "server misconfigured: no state of type {} (give it with serve!(state = ...) or App::state)",
                    std::any::type_name::<T>()
                ),
            )
        })
    }
}
