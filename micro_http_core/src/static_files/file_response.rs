//! The response for a found file: validators, conditional fields (304, 412), range (206, 416), then the body,
//! with the same head for GET and HEAD.

use std::path::Path;
use std::time::SystemTime;

use http::{header, HeaderValue, Method, StatusCode};

use super::cache::Cached;
use super::conditional::{Precondition, Validators};
use super::encoding::Encoding;
use super::locate::Found;
use super::range::{self, RangeOutcome};
use super::{stream, Settings};
use crate::request::Request;
use crate::response::Response;

/// What the response needs to know of a file, wherever its bytes are: computed per request for files on disk,
/// once for files held in memory.
#[derive(Debug)]
pub(super) struct FileInfo {
    pub(super) size: u64,
    validators: Validators,
    etag: HeaderValue,
    last_modified: Option<HeaderValue>,
    content_type: HeaderValue,
    encoding: Option<Encoding>,
}

impl FileInfo {
    /// `name` is the name asked for: its extension gives the Content-Type.
    pub(super) fn new(
        size: u64,
        modified: Option<SystemTime>,
        name: &Path,
        encoding: Option<Encoding>,
    ) -> Self {
        let validators = Validators::new(size, modified, encoding.map_or("", |e| e.etag_suffix()));
        FileInfo {
            size,
            etag: validators.etag(),
            last_modified: validators.last_modified(),
            validators,
            content_type: content_type(name),
            encoding,
        }
    }
}

/// The head decided, and what part of the file follows it (or a response that is complete without it).
pub(super) enum Prepared {
    Send { res: Response, start: u64, len: u64 },
    Done(Response),
}

/// The response for a found file on disk.
pub(super) async fn file_response(req: &Request, found: Found, settings: &Settings) -> Response {
    let info = FileInfo::new(
        found.meta.len(),
        found.meta.modified().ok(),
        &found.name,
        found.encoding,
    );
    let (res, start, len) = match prepare(req, &info, settings) {
        Prepared::Done(res) => return res,
        Prepared::Send { res, start, len } => (res, start, len),
    };
    let method = req.method_ref();
    match stream::file_body(res, found.file, start, len, method != Method::HEAD).await {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(error = %e, file = ?found.name, "reading a static file failed");
            Response::text(StatusCode::INTERNAL_SERVER_ERROR, "internal server error\n")
        }
    }
}

/// The response for a file held in memory (see `cache`): the same head as from disk.
pub(super) fn memory_response(req: &Request, cached: &Cached, settings: &Settings) -> Response {
    match prepare(req, &cached.info, settings) {
        Prepared::Done(res) => res,
        // For HEAD the server sends the head (with this length) and drops the body.
        Prepared::Send { res, start, len } => {
            res.with_body(cached.body.slice(start as usize..(start + len) as usize))
        }
    }
}

/// Conditional fields, then range: everything but the body.
pub(super) fn prepare(req: &Request, found: &FileInfo, settings: &Settings) -> Prepared {
    let size = found.size;
    let validators = &found.validators;
    let mut res = Response::new(StatusCode::OK);
    // Everything a 304 must repeat (RFC 9110 §15.4.5), in the same order in every response.
    res.append_header(header::ETAG, found.etag.clone());
    if let Some(date) = &found.last_modified {
        res.append_header(header::LAST_MODIFIED, date.clone());
    }
    if let Some(cc) = &settings.cache_control {
        res.append_header(header::CACHE_CONTROL, cc.clone());
    }
    if settings.precompressed {
        res.append_header(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    match validators.evaluate(req.headers()) {
        Precondition::Proceed => {}
        Precondition::NotModified => {
            return Prepared::Done(res.with_status(StatusCode::NOT_MODIFIED))
        }
        Precondition::Failed => {
            return Prepared::Done(Response::text(
                StatusCode::PRECONDITION_FAILED,
                "precondition failed\n",
            ))
        }
    }
    res = res.with_content_type(found.content_type.clone());
    if let Some(encoding) = found.encoding {
        res.append_header(header::CONTENT_ENCODING, encoding.header_value());
    }
    res.append_header(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let method = req.method_ref();
    let outcome = match req.headers().get("range") {
        Some(value)
            if (method == Method::GET || method == Method::HEAD)
                && validators.if_range_holds(req.headers()) =>
        {
            range::parse(value, size)
        }
        _ => RangeOutcome::Full,
    };
    let (start, len) = match outcome {
        RangeOutcome::Full => (0, size),
        RangeOutcome::Partial(r) => {
            res.set_status(StatusCode::PARTIAL_CONTENT);
            let value = format!("bytes {}-{}/{size}", r.start, r.end);
            res.append_header(
                header::CONTENT_RANGE,
                HeaderValue::try_from(value).expect("digits"),
            );
            (r.start, r.len())
        }
        RangeOutcome::Unsatisfiable => {
            let value = HeaderValue::try_from(format!("bytes */{size}")).expect("digits");
            return Prepared::Done(
                Response::text(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable\n")
                    .with_header(header::CONTENT_RANGE, value),
            );
        }
    };
    Prepared::Send { res, start, len }
}

/// The `Content-Type` for a file named `name`: from its extension, `application/octet-stream` if unknown.
fn content_type(name: &Path) -> HeaderValue {
    let Some(mime) = mime_guess::from_path(name).first() else {
        return HeaderValue::from_static("application/octet-stream");
    };
    let text =
        mime.type_() == mime_guess::mime::TEXT || mime.essence_str() == "application/javascript";
    let value = if text && mime.get_param(mime_guess::mime::CHARSET).is_none() {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    HeaderValue::try_from(value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_from_extensions() {
        let ct = |name: &str| content_type(Path::new(name)).to_str().unwrap().to_string();
        assert_eq!(ct("a.css"), "text/css; charset=utf-8");
        assert_eq!(ct("a.html"), "text/html; charset=utf-8");
        assert!(
            ct("a.js").ends_with("javascript; charset=utf-8"),
            "{}",
            ct("a.js")
        );
        assert_eq!(ct("a.svg"), "image/svg+xml");
        assert_eq!(ct("a.png"), "image/png");
        assert_eq!(ct("a.unknownext"), "application/octet-stream");
        assert_eq!(ct("noext"), "application/octet-stream");
    }
}
