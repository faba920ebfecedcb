//! [`Multipart`]: a `multipart/form-data` body (file uploads), streamed field by field.

mod head;
mod reader;

use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use http::StatusCode;

use super::{FromRequest, Rejection};
use crate::request::Request;
use head::PartHead;
use reader::PartReader;

#[doc(hidden)]
pub use reader::fuzz_read as fuzz_multipart;

/// A `multipart/form-data` body, read field by field as it arrives. Another content type answers 415; a body
/// over the route's limit, or a field over the per-field limit (the route's limit unless set lower with
/// [`Multipart::field_limit`]), 413; a malformed body, 400.
///
/// Only the part being read is buffered, never the whole body. Nothing is written to disk: a handler that
/// stores a file chooses the path itself (never from [`Field::file_name`], which the client controls).
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
    reader: Arc<Mutex<PartReader>>,
}

/// One field of a [`Multipart`] body. Its data can be read until [`Multipart::next_field`] is called again;
/// after that it reads as ended.
pub struct Field {
    reader: Arc<Mutex<PartReader>>,
    number: u64,
    head: PartHead,
}

/// The reader never panics while locked, but a poisoned lock would still hold a consistent reader.
fn lock(reader: &Mutex<PartReader>) -> MutexGuard<'_, PartReader> {
    reader
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Multipart {
    /// The next field, or `None` after the last. What the handler left unread of the previous field is
    /// skipped.
    pub async fn next_field(&mut self) -> Result<Option<Field>, Rejection> {
        let part = poll_fn(|cx| lock(&self.reader).poll_next_part(cx)).await?;
        Ok(part.map(|(number, head)| Field {
            reader: self.reader.clone(),
            number,
            head,
        }))
    }

    /// Lowers the limit on each field's size (by default the route's body limit): a larger field answers 413.
    ///
    /// ```
    /// # use micro_http_core::extract::Multipart;
    /// async fn avatar(mut form: Multipart) -> Result<String, micro_http_core::Rejection> {
    ///     form.field_limit(64 * 1024);
    ///     let mut sizes = Vec::new();
    ///     while let Some(field) = form.next_field().await? {
    ///         sizes.push(field.bytes().await?.len());
    ///     }
    ///     Ok(format!("{sizes:?}"))
    /// }
    /// ```
    pub fn field_limit(&mut self, limit: u64) -> &mut Self {
        let mut reader = lock(&self.reader);
        reader.field_limit = reader.field_limit.min(limit);
        drop(reader);
        self
    }
}

impl Field {
    /// The field's name (`name` in the form).
    pub fn name(&self) -> Option<&str> {
        self.head.name.as_deref()
    }

    /// The file name the client sent, for file fields (an RFC 8187 `filename*` wins over `filename`).
    /// Client-controlled: display it escaped, never use it as a path.
    pub fn file_name(&self) -> Option<&str> {
        self.head.file_name.as_deref()
    }

    /// The field's content type as sent, if sent.
    pub fn content_type(&self) -> Option<String> {
        self.head.content_type.clone()
    }

    /// The next chunk of the field's data; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Rejection> {
        poll_fn(|cx| lock(&self.reader).poll_field_data(cx, self.number)).await
    }

    /// The whole field in memory (bounded by the field limit).
    pub async fn bytes(mut self) -> Result<Bytes, Rejection> {
        let Some(first) = self.chunk().await? else {
            return Ok(Bytes::new());
        };
        let Some(second) = self.chunk().await? else {
            return Ok(first);
        };
        let mut all = BytesMut::with_capacity(first.len() + second.len());
        all.extend_from_slice(&first);
        all.extend_from_slice(&second);
        while let Some(chunk) = self.chunk().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(all.freeze())
    }

    /// The whole field as UTF-8 text (what browsers send from a UTF-8 page); other bytes answer 400.
    pub async fn text(self) -> Result<String, Rejection> {
        let bytes = self.bytes().await?;
        String::from_utf8(bytes.into()).map_err(|_| {
            Rejection::bad_request("invalid multipart body: a text field is not UTF-8")
        })
    }
}

impl FromRequest for Multipart {
    const READS_BODY: bool = true;

    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        let boundary = req
            .header("content-type")
            .and_then(head::boundary)
            .ok_or_else(|| {
                Rejection::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "expected a multipart/form-data body with a boundary",
                )
            })?;
        let limit = req.body_limit();
        Ok(Multipart {
            reader: Arc::new(Mutex::new(PartReader::new(
                req.take_body(),
                &boundary,
                limit,
            ))),
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

    #[tokio::test]
    async fn field_limit_lowers_the_route_limit() {
        let body =
            "--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n0123456789\r\n--XYZ--\r\n";
        let mut m = Multipart::from_request(&mut upload(body)).await.unwrap();
        m.field_limit(100).field_limit(4).field_limit(50);
        let f = m.next_field().await.unwrap().unwrap();
        let e = f.bytes().await.unwrap_err();
        assert_eq!(e.status().as_u16(), 413);
        assert_eq!(
            e.message(),
            "multipart field larger than the limit of 4 bytes"
        );
    }

    #[tokio::test]
    async fn a_limit_lowered_below_what_a_field_gave_stops_it() {
        let head = "--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n0123456789012345678901234567890";
        let (body, feed) = crate::Body::streaming(u64::MAX);
        let mut req = upload("");
        req.set_body(body);
        tokio::spawn(async move {
            let _ = feed.demand.await;
            for piece in [head, "0123456789\r\n--XYZ--\r\n"] {
                let _ = feed.tx.send(Ok(Bytes::from(piece))).await;
            }
        });
        let mut m = Multipart::from_request(&mut req).await.unwrap();
        let mut f = m.next_field().await.unwrap().unwrap();
        let first = f.chunk().await.unwrap().unwrap();
        assert_eq!(&first[..], b"0123456789012345678901234");
        m.field_limit(10);
        let e = f.chunk().await.unwrap_err();
        assert_eq!(
            (e.status().as_u16(), e.message()),
            (413, "multipart field larger than the limit of 10 bytes")
        );
    }

    #[tokio::test]
    async fn a_field_left_behind_reads_as_ended() {
        let body = "--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nfirst\r\n\
                    --XYZ\r\nContent-Disposition: form-data; name=\"b\"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsecond\r\n--XYZ--\r\n";
        let mut m = Multipart::from_request(&mut upload(body)).await.unwrap();
        let mut a = m.next_field().await.unwrap().unwrap();
        let b = m.next_field().await.unwrap().unwrap();
        assert_eq!(a.chunk().await.unwrap(), None);
        assert_eq!(
            b.content_type().as_deref(),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(b.text().await.unwrap(), "second");
        assert!(m.next_field().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_text_field_that_is_not_utf8_is_400() {
        let mut req = request(
            "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 60\r\n\r\n",
        );
        let mut body =
            b"--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xff\xfe".to_vec();
        body.extend_from_slice(b"\r\n--XYZ--");
        req.set_body(crate::Body::from_bytes(body));
        let mut m = Multipart::from_request(&mut req).await.unwrap();
        let e = m
            .next_field()
            .await
            .unwrap()
            .unwrap()
            .text()
            .await
            .unwrap_err();
        assert_eq!(
            (e.status().as_u16(), e.message()),
            (400, "invalid multipart body: a text field is not UTF-8")
        );
    }
}
