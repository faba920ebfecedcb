//! Protocol errors: what the server answers when a request cannot be served as sent.

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;

use crate::response::Response;

/// A request the server refuses before any handler sees it (bad framing, a limit, a timeout).
///
/// It becomes a short `text/plain` response that says what was wrong, and the connection is closed after it
/// (the framing of whatever follows is in doubt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    status: StatusCode,
    message: Cow<'static, str>,
}

impl HttpError {
    /// An error with `status` and a short `message` for the client.
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        HttpError {
            status,
            message: message.into(),
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        HttpError::new(StatusCode::BAD_REQUEST, message)
    }

    /// The status sent.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message sent.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The response for the client: the message and a newline.
    pub fn to_response(&self) -> Response {
        let mut body = String::with_capacity(self.message.len() + 1);
        body.push_str(&self.message);
        body.push('\n');
        Response::text(self.status, body)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for HttpError {}
