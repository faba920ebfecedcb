//! [`Form<T>`]: an `application/x-www-form-urlencoded` body, deserialized.

use http::StatusCode;
use serde::de::DeserializeOwned;

use super::{has_content_type, FromRequest, Rejection};
use crate::request::Request;

/// An `application/x-www-form-urlencoded` body deserialized into `T`. Another content type answers 415; a
/// missing or malformed field answers 422 naming it; a body over the route's limit 413.
///
/// ```
/// use micro_http_core::{Form, Html};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Login { name: String }
///
/// async fn login(Form(f): Form<Login>) -> String {
///     format!("Hello, {}!", f.name)
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest for Form<T> {
    const READS_BODY: bool = true;

    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        if !has_content_type(req, "application/x-www-form-urlencoded", None) {
            return Err(Rejection::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a form body (Content-Type: application/x-www-form-urlencoded)",
            ));
        }
        let body = req
            .take_body()
            .bytes()
            .await
            .map_err(|e| Rejection::new(e.status(), e.to_string()))?;
        serde_urlencoded::from_bytes(&body).map(Form).map_err(|e| {
            Rejection::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("invalid form: {e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test::request;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct F {
        name: String,
    }

    #[tokio::test]
    async fn reads_form() {
        let mut req = request(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n\r\nname=a+%3C",
        );
        let Form(f) = Form::<F>::from_request(&mut req).await.unwrap();
        assert_eq!(f.name, "a <");
    }

    #[tokio::test]
    async fn wrong_type_and_missing_field() {
        let mut req = request("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nname=a");
        assert_eq!(
            Form::<F>::from_request(&mut req)
                .await
                .err()
                .unwrap()
                .status()
                .as_u16(),
            415
        );
        let mut req = request(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\nx=1",
        );
        let e = Form::<F>::from_request(&mut req).await.err().unwrap();
        assert_eq!(e.status().as_u16(), 422);
        assert!(e.message().contains("name"));
    }
}
