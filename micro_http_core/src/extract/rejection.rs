//! [`Rejection`]: the answer of an extractor that refuses a request.

use std::borrow::Cow;

use http::{HeaderValue, StatusCode};

use crate::request::Request;
use crate::response::{IntoResponse, Response};

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Why an extractor refused a request: a status and a message for the client.
///
/// It is sent as JSON (`{"error": {"status": 400, "message": "..."}}`) when the extractor is a JSON one or the
/// client accepts JSON, else as plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    status: StatusCode,
    message: Cow<'static, str>,
    json: bool,
}

impl Rejection {
    /// A rejection with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Rejection {
            status,
            message: message.into(),
            json: false,
        }
    }

    /// A rejection always answered as JSON.
    pub fn json(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Rejection {
            json: true,
            ..Rejection::new(status, message)
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Rejection::new(StatusCode::BAD_REQUEST, message)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The response for `req`'s client: JSON if this rejection or the client prefers it.
    pub fn response_for(self, req: &Request) -> Response {
        if self.json || req.accepts_json() {
            self.into_json_response()
        } else {
            self.into_text_response()
        }
    }

    fn into_json_response(self) -> Response {
        // `{"error":{"status":N,"message":"..."}}`, written directly: only the message needs serde_json (to
        // escape it), so a `Value` map and its float formatting are not linked in for this.
        let mut body = format!(
            "{{\"error\":{{\"status\":{},\"message\":",
            self.status.as_u16()
        );
        let message = serde_json::to_string(&*self.message).unwrap_or_else(|_| "\"\"".to_string());
        body.push_str(&message);
        body.push_str("}}");
        Response::with_content(APPLICATION_JSON, body).with_status(self.status)
    }

    fn into_text_response(self) -> Response {
        let mut text = self.message.into_owned();
        text.push('\n');
        Response::text(self.status, text)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        if self.json {
            self.into_json_response()
        } else {
            self.into_text_response()
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for Rejection {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_rejection_is_valid_json_whatever_its_message() {
        for message in [
            "plain",
            "quote \" backslash \\ newline \n tab \t",
            "\u{1}\u{7f}é 😀",
            "",
        ] {
            let res = Rejection::json(StatusCode::UNPROCESSABLE_ENTITY, message).into_response();
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(res.content_type().unwrap(), "application/json");
            let crate::response::ResponseBody::Full(b) = res.body() else {
                panic!("not a full body")
            };
            let v: serde_json::Value = serde_json::from_slice(b).expect("valid JSON");
            assert_eq!(
                v,
                serde_json::json!({ "error": { "status": 422, "message": message } })
            );
        }
    }
}
