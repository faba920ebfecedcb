//! Writing a response head: status line, the server's own fields, the handler's fields, framing.
//!
//! Every framing decision for responses lives here (RFC 9112 §6.3, RFC 9110 §8.6, §15).

use http::{header, StatusCode};

use super::Response;
use crate::date::DATE_LEN;

/// How a response body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body may be sent and no length is announced: 1xx, 204 (RFC 9110 §8.6: a server MUST NOT send
    /// Content-Length in them) and 304 (which may only repeat the 200's length, which we may not know).
    NoBody,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked` (HTTP/1.1 clients only).
    Chunked,
    /// The body ends when the connection closes (a stream of unknown length to an HTTP/1.0 client).
    UntilClose,
}

impl Framing {
    /// Chooses the framing for a response with body length `len` (None: unknown) to a client speaking
    /// HTTP/1.1 (`http11`) or HTTP/1.0.
    pub(crate) fn choose(status: StatusCode, len: Option<u64>, http11: bool) -> Framing {
        let code = status.as_u16();
        if code < 200 || code == 204 || code == 304 {
            return Framing::NoBody;
        }
        match len {
            Some(n) => Framing::Length(n),
            None if http11 => Framing::Chunked,
            None => Framing::UntilClose,
        }
    }
}

/// The `Connection` field the server writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionField {
    /// Persistence is the default (HTTP/1.1): no field.
    None,
    /// The server closes the connection after this response.
    Close,
    /// An HTTP/1.0 client asked for keep-alive and gets it (RFC 9112 §C.2.2).
    KeepAlive,
}

/// The status line for `status`; the common ones are precomputed.
fn status_line(status: StatusCode, out: &mut Vec<u8>) {
    let line: &[u8] = match status.as_u16() {
        200 => b"HTTP/1.1 200 OK\r\n",
        201 => b"HTTP/1.1 201 Created\r\n",
        204 => b"HTTP/1.1 204 No Content\r\n",
        206 => b"HTTP/1.1 206 Partial Content\r\n",
        301 => b"HTTP/1.1 301 Moved Permanently\r\n",
        302 => b"HTTP/1.1 302 Found\r\n",
        303 => b"HTTP/1.1 303 See Other\r\n",
        304 => b"HTTP/1.1 304 Not Modified\r\n",
        400 => b"HTTP/1.1 400 Bad Request\r\n",
        404 => b"HTTP/1.1 404 Not Found\r\n",
        405 => b"HTTP/1.1 405 Method Not Allowed\r\n",
        500 => b"HTTP/1.1 500 Internal Server Error\r\n",
        _ => {
            out.extend_from_slice(b"HTTP/1.1 ");
            out.extend_from_slice(status.as_str().as_bytes());
            out.push(b' ');
            // The reason phrase is optional (RFC 9112 §4); an unknown code gets an empty one.
            out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
            out.extend_from_slice(b"\r\n");
            return;
        }
    };
    out.extend_from_slice(line);
}

/// The start of a head that is the same for every response of a server: the status line of a `200`, the `Server`
/// field and the name of the `Date` field, built once so that a `200` head is a handful of copies.
#[derive(Debug, Clone)]
pub(crate) struct HeadPrefix {
    /// `HTTP/1.1 200 OK\r\nserver: <name>\r\ndate: `
    ok: Vec<u8>,
    /// `server: <name>\r\n` (empty without a `Server` field), for the other statuses.
    server_line: Vec<u8>,
    /// Unique to this prefix and its clones: what the head cache tells prefixes apart by.
    id: u64,
}

impl HeadPrefix {
    /// `server`: the `Server` field value; `None` sends no such field.
    pub(crate) fn new(server: Option<&[u8]>) -> Self {
        let mut server_line = Vec::new();
        if let Some(server) = server {
            server_line.extend_from_slice(b"server: ");
            server_line.extend_from_slice(server);
            server_line.extend_from_slice(b"\r\n");
        }
        let mut ok = b"HTTP/1.1 200 OK\r\n".to_vec();
        ok.extend_from_slice(&server_line);
        ok.extend_from_slice(b"date: ");
        HeadPrefix {
            ok,
            server_line,
            id: super::head_cache::next_prefix_id(),
        }
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

/// Appends the head of `res` to `out`.
///
/// `date` is the preformatted IMF-fixdate; `prefix` holds the `Server` field. Fields that the server owns
/// (`Content-Length`, `Transfer-Encoding`, `Date`, `Connection`) are taken from the arguments, never from the
/// handler's headers, so a handler cannot desynchronise the framing. Each line after the date starts with the CRLF
/// that ends the one before it, so constant pieces are copied together.
pub(crate) fn encode_head(
    out: &mut Vec<u8>,
    res: &Response,
    framing: Framing,
    connection: ConnectionField,
    date: &[u8; DATE_LEN],
    prefix: &HeadPrefix,
) {
    if res.status() == StatusCode::OK {
        out.extend_from_slice(&prefix.ok);
    } else {
        status_line(res.status(), out);
        out.extend_from_slice(&prefix.server_line);
        out.extend_from_slice(b"date: ");
    }
    out.extend_from_slice(date);
    if let Some(value) = &res.content_type {
        out.extend_from_slice(b"\r\ncontent-type: ");
        out.extend_from_slice(value.as_bytes());
    }
    for (name, value) in &res.headers {
        if is_server_owned(name) {
            continue;
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
    }
    match framing {
        Framing::NoBody | Framing::UntilClose => {}
        Framing::Length(n) => {
            out.extend_from_slice(b"\r\ncontent-length: ");
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        }
        Framing::Chunked => out.extend_from_slice(b"\r\ntransfer-encoding: chunked"),
    }
    match connection {
        ConnectionField::None => {}
        ConnectionField::Close => out.extend_from_slice(b"\r\nconnection: close"),
        ConnectionField::KeepAlive => out.extend_from_slice(b"\r\nconnection: keep-alive"),
    }
    out.extend_from_slice(b"\r\n\r\n");
}

fn is_server_owned(name: &http::HeaderName) -> bool {
    *name == header::CONTENT_LENGTH
        || *name == header::TRANSFER_ENCODING
        || *name == header::DATE
        || *name == header::CONNECTION
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::IntoResponse;

    fn head(res: &Response, framing: Framing, keep_alive: bool) -> String {
        let connection = if keep_alive {
            ConnectionField::None
        } else {
            ConnectionField::Close
        };
        let mut out = Vec::new();
        encode_head(
            &mut out,
            res,
            framing,
            connection,
            b"Thu, 26 Nov 2026 10:00:00 GMT",
            &HeadPrefix::new(Some(b"micro_http")),
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn plaintext_head() {
        let res = "Hello, World!".into_response();
        assert_eq!(
            head(&res, Framing::Length(13), true),
            "HTTP/1.1 200 OK\r\nserver: micro_http\r\ndate: Thu, 26 Nov 2026 10:00:00 GMT\r\n\
             content-type: text/plain; charset=utf-8\r\ncontent-length: 13\r\n\r\n"
        );
    }

    #[test]
    fn handler_cannot_set_framing_fields() {
        let res = Response::new(StatusCode::OK)
            .with_header(header::CONTENT_LENGTH, "999")
            .with_header(header::TRANSFER_ENCODING, "chunked");
        let h = head(&res, Framing::Length(0), false);
        assert!(!h.contains("999"));
        assert!(!h.contains("chunked"));
        assert!(h.contains("content-length: 0\r\nconnection: close\r\n\r\n"));
    }

    #[test]
    fn uncommon_status_line() {
        let res = Response::new(StatusCode::IM_A_TEAPOT);
        assert!(head(&res, Framing::NoBody, true).starts_with("HTTP/1.1 418 I'm a teapot\r\n"));
        let res = Response::new(StatusCode::from_u16(599).unwrap());
        assert!(head(&res, Framing::NoBody, true).starts_with("HTTP/1.1 599 \r\n"));
    }

    #[test]
    fn framing_rules() {
        assert_eq!(
            Framing::choose(StatusCode::NO_CONTENT, Some(0), true),
            Framing::NoBody
        );
        assert_eq!(
            Framing::choose(StatusCode::NOT_MODIFIED, Some(5), true),
            Framing::NoBody
        );
        assert_eq!(
            Framing::choose(StatusCode::OK, None, true),
            Framing::Chunked
        );
        assert_eq!(
            Framing::choose(StatusCode::OK, None, false),
            Framing::UntilClose
        );
        assert_eq!(
            Framing::choose(StatusCode::OK, Some(3), false),
            Framing::Length(3)
        );
    }
}
