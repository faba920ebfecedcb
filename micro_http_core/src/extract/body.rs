//! Body extractors: the raw [`Body`], [`Bytes`] and `String`.

use bytes::Bytes;

use super::{FromRequest, Rejection};
use crate::body::Body;
use crate::request::Request;

/// The body as a stream.
impl FromRequest for Body {
    const READS_BODY: bool = true;

    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        Ok(req.take_body())
    }
}

/// The whole body in memory (bounded by the route's limit).
impl FromRequest for Bytes {
    const READS_BODY: bool = true;

    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        req.take_body()
            .bytes()
            .await
            .map_err(|e| Rejection::new(e.status(), e.to_string()))
    }
}

/// The whole body as UTF-8 text; other bytes answer 400.
impl FromRequest for String {
    const READS_BODY: bool = true;

    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        let bytes = Bytes::from_request(req).await?;
        String::from_utf8(bytes.into())
            .map_err(|_| Rejection::bad_request("request body is not valid UTF-8"))
    }
}
