//! [`Path<T>`]: all path parameters at once, deserialized.

use serde::de::DeserializeOwned;

use super::{FromRequest, Rejection};
use crate::request::Request;

/// Every path parameter deserialized into `T` by name (a struct with a field per `{name}`, or a map).
/// A parameter that does not parse answers 400 naming it.
///
/// ```
/// use micro_http_core::Path;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct PostId { user: u32, post: String }
///
/// // for "/users/{user}/posts/{post}"
/// async fn post(Path(p): Path<PostId>) -> String {
///     format!("{} by {}", p.post, p.user)
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest for Path<T> {
    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        // The params are already decoded; re-encoding them lets serde_urlencoded do the typed parsing by name
        // (numbers, bools, enums) that it does for queries and forms.
        let pairs: Vec<(&str, &str)> = req.params().collect();
        let encoded = serde_urlencoded::to_string(&pairs)
            .map_err(|e| Rejection::bad_request(format!("invalid path parameters: {e}")))?;
        serde_urlencoded::from_str(&encoded)
            .map(Path)
            .map_err(|e| Rejection::bad_request(format!("invalid path parameters: {e}")))
    }
}
