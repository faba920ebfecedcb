//! [`Multipart`]: a `multipart/form-data` body (file uploads), streamed field by field.

use bytes::Bytes;
use http::StatusCode;

use super::{FromRequest, Rejection};
use crate::request::Request;

/// A `multipart/form-data` body, read field by field as it arrives (with multer). Another content type answers
/// 415; a body over the route's limit, or a field over the per-field limit (the route's limit unless set
/// lower with [`Multipart::field_limit`]), 413.
///
/// Nothing is written to disk: a handler that stores a file chooses the path itself (never from
/// [`Field::file_name`], which the client controls).
///
/// ```
/// use micro_http_core::extract::Multipart;
///
/// async fn upload(mut form: Multipart) -> Result<String, micro_http_core::Rejection> {
///     let mut report = String::new();
///     while let Some(field) = form.next_field().await? {
///         let name = field.name().unwrap_or("").to_string();
///         let size = field.bytes().await?.len();
///         report.push_str(&format!("{name}: {size} bytes\n"));
///     }
///     Ok(report)
/// }
/// ```
pub struct Multipart {
    inner: multer::Multipart<'static>,
}

/// One field of a [`Multipart`] body.
pub struct Field {
    inner: multer::Field<'static>,
}

fn rejection(e: multer::Error) -> Rejection {
    use multer::Error as E;
    let status = match &e {
        E::FieldSizeExceeded { .. } | E::StreamSizeExceeded { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        E::StreamReadFailed(inner) => match inner.downcast_ref::<crate::BodyError>() {
            Some(b) => b.status(),
            None => StatusCode::BAD_REQUEST,
        },
        _ => StatusCode::BAD_REQUEST,
    };
    Rejection::new(status, format!("invalid multipart body: {e}"))
}

impl Multipart {
    /// The next field, or `None` after the last.
    pub async fn next_field(&mut self) -> Result<Option<Field>, Rejection> {
        self.inner
            .next_field()
            .await
            .map(|f| f.map(|inner| Field { inner }))
            .map_err(rejection)
    }
}

impl Field {
    /// The field's name (`name` in the form).
    pub fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// The file name the client sent, for file fields. Client-controlled: display it escaped, never use it as a
    /// path.
    pub fn file_name(&self) -> Option<&str> {
        self.inner.file_name()
    }

    /// The field's content type, if sent.
    pub fn content_type(&self) -> Option<String> {
        self.inner.content_type().map(|m| m.to_string())
    }

    /// The next chunk of the field's data; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Rejection> {
        self.inner.chunk().await.map_err(rejection)
    }

    /// The whole field in memory (bounded by the limits).
    pub async fn bytes(self) -> Result<Bytes, Rejection> {
        self.inner.bytes().await.map_err(rejection)
    }

    /// The whole field as text.
    pub async fn text(self) -> Result<String, Rejection> {
        self.inner.text().await.map_err(rejection)
    }
}

impl FromRequest for Multipart {
    const READS_BODY: bool = true;

    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        let boundary = req
            .header("content-type")
            .and_then(|ct| multer::parse_boundary(ct).ok())
            .ok_or_else(|| {
                Rejection::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "expected a multipart/form-data body with a boundary",
                )
            })?;
        let limit = req.body_limit();
        let constraints = multer::Constraints::new().size_limit(
            multer::SizeLimit::new()
                .whole_stream(limit)
                .per_field(limit),
        );
        let body = req.take_body();
        Ok(Multipart {
            inner: multer::Multipart::with_constraints(body, boundary, constraints),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test::request;

    fn upload(body: &str) -> Request {
        request(&format!(
            "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ))
    }

    #[tokio::test]
    async fn reads_text_and_file_fields() {
        let body = "--XYZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nbob\r\n\
                    --XYZ\r\nContent-Disposition: form-data; name=\"file1\"; filename=\"../a<b>.txt\"\r\nContent-Type: text/plain\r\n\r\nhello world\r\n\
                    --XYZ--\r\n";
        let mut m = Multipart::from_request(&mut upload(body)).await.unwrap();
        let f = m.next_field().await.unwrap().unwrap();
        assert_eq!(f.name(), Some("name"));
        assert_eq!(f.text().await.unwrap(), "bob");
        let f = m.next_field().await.unwrap().unwrap();
        assert_eq!(f.file_name(), Some("../a<b>.txt"));
        assert_eq!(f.bytes().await.unwrap().len(), 11);
        assert!(m.next_field().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn wrong_type_is_415_and_garbage_is_400() {
        let mut req = request(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx",
        );
        assert_eq!(
            Multipart::from_request(&mut req)
                .await
                .err()
                .unwrap()
                .status()
                .as_u16(),
            415
        );
        let mut m = Multipart::from_request(&mut upload("not multipart at all"))
            .await
            .unwrap();
        assert_eq!(m.next_field().await.err().unwrap().status().as_u16(), 400);
    }
}
