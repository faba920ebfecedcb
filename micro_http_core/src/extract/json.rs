//! [`Json<T>`]: a JSON body in, a JSON response out.

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{has_content_type, FromRequest, Rejection};
use crate::request::Request;
use crate::response::{IntoResponse, Response};

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The size of a thread's arena for JSON bodies (see `into_response`); a body over a quarter of it keeps the buffer
/// it grew into to itself.
const ARENA_CHUNK: usize = 8 * 1024;
/// The least room the arena must have left before a body is serialized into it; with less, a new chunk is taken.
const ARENA_ROOM: usize = 512;

thread_local! {
    /// Where this thread serializes JSON responses.
    static ARENA: std::cell::RefCell<BytesMut> = std::cell::RefCell::new(BytesMut::new());
}

/// serde_json's output straight into the arena.
struct ArenaWriter<'a>(&'a mut BytesMut);

impl std::io::Write for ArenaWriter<'_> {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// JSON, both ways.
///
/// As an argument: the body, which must be `application/json` (or `+json`; else 415), deserialized into `T`.
/// Malformed JSON answers 400, JSON of the wrong shape (missing field, wrong type) 422, each with a JSON body
/// `{"error": {"status": .., "message": ..}}`.
///
/// As a return value: `T` serialized, `application/json`.
///
/// ```
/// use micro_http_core::Json;
/// use serde_json::Value;
///
/// async fn echo(Json(v): Json<Value>) -> Json<Value> {
///     Json(v)
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest for Json<T> {
    const READS_BODY: bool = true;

    async fn from_request(req: &mut Request) -> Result<Self, Rejection> {
        if !has_content_type(req, "application/json", Some("+json")) {
            return Err(Rejection::json(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a JSON body (Content-Type: application/json)",
            ));
        }
        let body = req
            .take_body()
            .bytes()
            .await
            .map_err(|e| Rejection::json(e.status(), e.to_string()))?;
        serde_json::from_slice(&body).map(Json).map_err(|e| {
            use serde_json::error::Category;
            let status = match e.classify() {
                Category::Data => StatusCode::UNPROCESSABLE_ENTITY,
                Category::Syntax | Category::Eof | Category::Io => StatusCode::BAD_REQUEST,
            };
            Rejection::json(status, format!("invalid JSON: {e}"))
        })
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        // Serialized into this thread's arena: the body is a slice of a buffer shared with the bodies before it,
        // so it costs no allocation (dropping it decrements the buffer's count; the space is reclaimed once all are
        // dropped, in the usual case when the next body is made). A body that outgrows what is left of the buffer
        // moves to a bigger one as it is written. Serializing into a fresh `Vec` took two allocations and frees per
        // response (the `Vec`, then the shared header `Bytes` puts on one whose capacity is not its length).
        let serialized = ARENA.with(|cell| {
            let Ok(mut arena) = cell.try_borrow_mut() else {
                // Serialize called into_response again (a `Json` inside a `Serialize` impl): a buffer of its own.
                let mut buf = Vec::with_capacity(128);
                return serde_json::to_writer(&mut buf, &self.0).map(|()| Bytes::from(buf));
            };
            // Empty (everything before was split off): its capacity is what is left of the buffer.
            if arena.capacity() < ARENA_ROOM {
                arena.reserve(ARENA_CHUNK);
            }
            match serde_json::to_writer(ArenaWriter(&mut arena), &self.0) {
                Ok(()) => {
                    let body = arena.split().freeze();
                    if body.len() > ARENA_CHUNK / 4 {
                        // It made the arena grow: let that buffer go with the body, not stay as the arena.
                        *arena = BytesMut::new();
                    }
                    Ok(body)
                }
                Err(e) => {
                    arena.clear();
                    Err(e)
                }
            }
        });
        match serialized {
            Ok(body) => Response::with_content(APPLICATION_JSON, body),
            Err(e) => {
                tracing::error!(error = %e, "failed to serialize a JSON response");
                Rejection::json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "failed to serialize the response",
                )
                .into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test::request;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct U {
        #[allow(dead_code)]
        id: u32,
    }

    fn post(ct: &str, body: &str) -> Request {
        request(&format!(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ))
    }

    #[tokio::test]
    async fn statuses() {
        let cases = [
            ("application/json", r#"{"id":1}"#, None),
            ("application/json; charset=utf-8", r#"{"id":1}"#, None),
            ("application/merge-patch+json", r#"{"id":1}"#, None),
            ("text/plain", r#"{"id":1}"#, Some(415)),
            ("application/json", r#"{"id":"#, Some(400)),
            ("application/json", r#"{"id":"x"}"#, Some(422)),
            ("application/json", r#"{}"#, Some(422)),
        ];
        for (ct, body, want) in cases {
            let got = Json::<U>::from_request(&mut post(ct, body)).await;
            assert_eq!(got.err().map(|e| e.status().as_u16()), want, "{ct} {body}");
        }
    }

    #[tokio::test]
    async fn rejection_is_json() {
        let e = Json::<U>::from_request(&mut post("application/json", "nope"))
            .await
            .unwrap_err();
        let res = e.into_response();
        assert_eq!(res.content_type().unwrap(), "application/json");
        let crate::response::ResponseBody::Full(b) = res.body() else {
            panic!()
        };
        let v: serde_json::Value = serde_json::from_slice(b).unwrap();
        assert_eq!(v["error"]["status"], 400);
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid JSON"));
    }

    fn body_text(res: &Response) -> String {
        let crate::response::ResponseBody::Full(b) = res.body() else {
            panic!("not a full body")
        };
        String::from_utf8(b.to_vec()).unwrap()
    }

    /// A value whose serialization makes a JSON response of its own: the thread's scratch buffer is in use then.
    struct Nested(u32);

    impl Serialize for Nested {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let inner = body_text(&Json(serde_json::json!({ "n": self.0 })).into_response());
            s.serialize_str(&inner)
        }
    }

    #[test]
    fn responses_serialize_whole_one_after_another_and_nested() {
        let big: Vec<u32> = (0..20_000).collect();
        let res = Json(&big).into_response();
        assert_eq!(body_text(&res), serde_json::to_string(&big).unwrap());
        // The arena is reused (the big one took its own buffer): no leftovers of the response before.
        assert_eq!(body_text(&Json([1, 2]).into_response()), "[1,2]");
        assert_eq!(
            body_text(&Json(vec![Nested(1), Nested(2)]).into_response()),
            r#"["{\"n\":1}","{\"n\":2}"]"#
        );
        assert_eq!(res.content_type().unwrap(), "application/json");
    }

    /// Writes a first element, then fails.
    struct FailsHalfway;

    impl Serialize for FailsHalfway {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{Error, SerializeSeq};
            let mut seq = s.serialize_seq(Some(2))?;
            seq.serialize_element("written before the failure")?;
            Err(S::Error::custom("halfway"))
        }
    }

    #[test]
    fn a_failed_serialization_answers_500_and_leaves_nothing_in_the_arena() {
        let res = Json(FailsHalfway).into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body_text(&res).contains("written before"));
        assert_eq!(body_text(&Json([1, 2]).into_response()), "[1,2]");
    }

    #[test]
    fn bodies_kept_alive_stay_intact_while_the_arena_fills_and_starts_again() {
        // 3,000 bodies of ~60 bytes go through several 8 KiB buffers; every 7th is kept until the end.
        let mut kept = Vec::new();
        for i in 0..3_000u32 {
            let value = serde_json::json!({ "i": i, "pad": "x".repeat((i % 40) as usize) });
            let res = Json(&value).into_response();
            assert_eq!(body_text(&res), value.to_string());
            if i % 7 == 0 {
                kept.push((value, res));
            }
        }
        for (value, res) in &kept {
            assert_eq!(body_text(res), value.to_string());
        }
    }
}
