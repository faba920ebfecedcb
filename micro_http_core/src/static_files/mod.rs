//! [`StaticFiles`]: serving a directory of files, with validators, conditional requests, byte ranges,
//! precompressed siblings, and a path check that never lets a request out of the root.
//!
//! A request for a file goes through, in order: `path` (decode the raw path once, refuse traversal and
//! anything malformed) → `locate` (on disk: symlinks, directories, siblings) → `conditional` (304, 412) →
//! `range` (206, 416) → `stream` (the body), assembled by `file_response`.

mod cache;
mod conditional;
mod encoding;
mod file_response;
mod locate;
mod path;
#[doc(hidden)]
pub use path::fuzz_resolve;
mod range;
mod stream;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use http::{HeaderValue, StatusCode};

use crate::request::Request;
use crate::response::{IntoResponse, Redirect, Response};

use cache::{CacheKey, Cached, FileCache, MAX_CACHED_FILE};
use file_response::{file_response, memory_response, FileInfo};
use locate::{Found, Located, Policy};

/// Serves the files below a root directory.
///
/// Route a catch-all to it and call [`serve`](Self::serve); HEAD requests, which the router gives to the
/// GET handler, get the same head without the body.
///
/// ```no_run
/// use std::sync::LazyLock;
/// use micro_http_core::{App, Method, Request, Response, StaticFiles};
///
/// static FILES: LazyLock<StaticFiles> = LazyLock::new(|| {
///     StaticFiles::new("./static").cache_control("public, max-age=3600")
/// });
///
/// async fn assets(req: Request) -> Response {
///     FILES.serve(&req).await
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// App::new().route(Method::GET, "/static/{*path}", assets).bind("127.0.0.1:8080").await?.run().await
/// # }
/// ```
///
/// What a request gets:
/// - a file: 200 with `Content-Type` (from the extension, `; charset=utf-8` for text), a strong `ETag` from
///   its size and modification time, `Last-Modified`, `Cache-Control`, `Accept-Ranges: bytes`; 304 or 412
///   when the conditional fields say so; 206 for one satisfiable byte range, 416 for one past the end, the
///   whole file (200) for several ranges;
/// - a directory: its index file when the path ends in `/`, else a 308 redirect to the `/` form;
/// - a path with `.` or `..` segments (raw or encoded): 403; with an encoded separator (`%2F`, `%5C`), a
///   backslash, a control character, `:`, an empty segment or invalid UTF-8: 400; a dotfile, a missing
///   file, a symlink out of the root: 404.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    settings: Arc<Settings>,
    cache: Arc<FileCache>,
}

#[derive(Debug, Clone)]
struct Settings {
    root: PathBuf,
    /// Resolved on first use, so that `new` cannot fail and the directory may appear after startup.
    canonical_root: OnceLock<PathBuf>,
    index_file: Option<String>,
    cache_control: Option<HeaderValue>,
    follow_symlinks: bool,
    precompressed: bool,
    show_dotfiles: bool,
}

impl StaticFiles {
    /// Serves the files below `root`.
    ///
    /// The root is canonicalized (symlinks resolved) on the first request and kept; until it exists every
    /// request gets 404 and a warning is logged. Defaults: index file `index.html`, `Cache-Control: no-cache`
    /// (clients revalidate with the ETag), symlinks out of the root refused, precompressed siblings served,
    /// dotfiles hidden.
    ///
    /// ```
    /// use micro_http_core::StaticFiles;
    ///
    /// let files = StaticFiles::new("./static").index_file(None).show_dotfiles(false);
    /// assert_eq!(files.root(), std::path::Path::new("./static"));
    /// ```
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StaticFiles {
            settings: Arc::new(Settings {
                root: root.into(),
                canonical_root: OnceLock::new(),
                index_file: Some("index.html".into()),
                cache_control: Some(HeaderValue::from_static("no-cache")),
                follow_symlinks: false,
                precompressed: true,
                show_dotfiles: false,
            }),
            cache: Arc::default(),
        }
    }

    /// The root directory, as given to [`new`](Self::new).
    pub fn root(&self) -> &Path {
        &self.settings.root
    }

    /// The file served for a directory (default `index.html`); `None`: directories are 404.
    pub fn index_file(mut self, name: Option<&str>) -> Self {
        Arc::make_mut(&mut self.settings).index_file = name.map(str::to_string);
        self
    }

    /// The `Cache-Control` value of file responses (default `no-cache`); `""` sends none.
    ///
    /// # Panics
    /// If `value` is not a valid header value (CR, LF or NUL in it).
    pub fn cache_control(mut self, value: &str) -> Self {
        let value = (!value.is_empty()).then(|| {
            HeaderValue::try_from(value)
                .unwrap_or_else(|e| panic!("invalid Cache-Control value: {e}"))
        });
        Arc::make_mut(&mut self.settings).cache_control = value;
        self
    }

    /// Serves files whose canonical path leaves the root through a symlink (default `false`: they are 404).
    pub fn follow_symlinks(mut self, follow: bool) -> Self {
        Arc::make_mut(&mut self.settings).follow_symlinks = follow;
        self
    }

    /// Serves `file.br` or `file.gz` for `file` when `Accept-Encoding` allows (default `true`), with
    /// `Content-Encoding`, the original's `Content-Type` and an ETag of its own. Every file response then
    /// carries `Vary: Accept-Encoding`.
    pub fn precompressed(mut self, enabled: bool) -> Self {
        Arc::make_mut(&mut self.settings).precompressed = enabled;
        self
    }

    /// Serves paths with a segment starting with `.` (default `false`: they are 404). `.` and `..` are refused
    /// either way.
    pub fn show_dotfiles(mut self, show: bool) -> Self {
        Arc::make_mut(&mut self.settings).show_dotfiles = show;
        self
    }

    /// Serves the file named by the request's last path parameter (`{*path}` in `/static/{*path}`).
    ///
    /// The parameter the router hands out is already percent-decoded, which would hide an encoded `/` or a
    /// doubly encoded `..`; so the still-encoded text is taken from [`Request::path`]: the suffix that the
    /// parameter was decoded from. That parameter must therefore end the route's pattern (a 500 otherwise).
    /// Without path parameters the whole request path is served.
    pub async fn serve(&self, req: &Request) -> Response {
        match raw_tail(req) {
            Some(raw) => self.serve_path(req, raw).await,
            None => {
                tracing::error!(
                    path = req.path(),
                    "StaticFiles::serve: the last path parameter must end the route"
                );
                Response::text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "static files: misrouted request\n",
                )
            }
        }
    }

    /// Serves the file at `raw`, a percent-encoded path relative to the root (`css/site.css`), as taken
    /// from the request target: it is decoded here, once.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use micro_http_core::{test::request, StaticFiles};
    ///
    /// let req = request("GET /assets/..%2Fsecret HTTP/1.1\r\nHost: x\r\n\r\n");
    /// let res = StaticFiles::new("./static").serve_path(&req, "..%2Fsecret").await;
    /// assert_eq!(res.status(), 400);
    /// # });
    /// ```
    pub async fn serve_path(&self, req: &Request, raw: &str) -> Response {
        let rel = match path::resolve(raw, self.settings.show_dotfiles) {
            Ok(rel) => rel,
            Err(e) => return Response::text(e.status(), e.message()),
        };
        let encodings = if self.settings.precompressed {
            encoding::preferred(req.headers().get_all("accept-encoding"))
        } else {
            Vec::new()
        };
        let key: CacheKey = (rel.path.clone(), rel.trailing_slash, encodings.clone());
        if let Some(hit) = self.cache.get(&key) {
            return memory_response(req, &hit, &self.settings);
        }
        let settings = self.settings.clone();
        let located = tokio::task::spawn_blocking(move || {
            let Some(root) = settings.canonical_root() else {
                return Loaded::Located(Located::NotFound);
            };
            let policy = Policy {
                index_file: settings.index_file.as_deref(),
                follow_symlinks: settings.follow_symlinks,
                show_dotfiles: settings.show_dotfiles,
            };
            match locate::locate(root, &rel, policy, &encodings) {
                // Small files are read here, in the same trip to the blocking pool, and kept in memory.
                Located::File(found) if found.meta.len() <= MAX_CACHED_FILE => load(*found),
                other => Loaded::Located(other),
            }
        })
        .await;
        match located {
            Ok(Loaded::Memory(cached)) => {
                let res = memory_response(req, &cached, &self.settings);
                self.cache.insert(key, cached);
                res
            }
            Ok(Loaded::Located(Located::File(found))) => {
                file_response(req, *found, &self.settings).await
            }
            Ok(Loaded::Located(Located::AddSlash)) => {
                let location = match req.query() {
                    Some(q) => format!("{}/?{q}", req.path()),
                    None => format!("{}/", req.path()),
                };
                Redirect::permanent(location).into_response()
            }
            Ok(Loaded::Located(Located::NotFound)) => {
                Response::text(StatusCode::NOT_FOUND, "not found\n")
            }
            Ok(Loaded::Located(Located::Forbidden)) => {
                Response::text(StatusCode::FORBIDDEN, "forbidden\n")
            }
            Err(e) => {
                tracing::error!(error = %e, "static file lookup failed");
                Response::text(StatusCode::INTERNAL_SERVER_ERROR, "internal server error\n")
            }
        }
    }
}

impl Settings {
    fn canonical_root(&self) -> Option<&Path> {
        if let Some(root) = self.canonical_root.get() {
            return Some(root);
        }
        match std::fs::canonicalize(&self.root) {
            Ok(root) => Some(self.canonical_root.get_or_init(|| root)),
            Err(e) => {
                tracing::warn!(root = ?self.root, error = %e, "static files root not found");
                None
            }
        }
    }
}

/// The still-encoded text of the request's last path parameter: the one suffix of the raw path, starting after
/// a `/`, that decodes to it. (Two such suffixes cannot decode alike: the longer has at least one more `/`.)
/// What the blocking lookup produced.
enum Loaded {
    Located(Located),
    Memory(Arc<Cached>),
}

/// Reads a small found file whole; a read failure falls back to streaming it (which reports the error).
fn load(mut found: Found) -> Loaded {
    use std::io::Read;
    let mut body = Vec::with_capacity(found.meta.len() as usize);
    if found.file.read_to_end(&mut body).is_err() || body.len() as u64 != found.meta.len() {
        return Loaded::Located(Located::File(Box::new(found)));
    }
    Loaded::Memory(Arc::new(Cached {
        info: FileInfo::new(
            found.meta.len(),
            found.meta.modified().ok(),
            &found.name,
            found.encoding,
        ),
        body: body.into(),
        checked: std::time::Instant::now(),
    }))
}

/// The still-encoded catch-all (or, without parameters, the whole path without its leading `/`).
fn raw_tail(req: &Request) -> Option<&str> {
    if req.params().next().is_none() {
        let path = req.path();
        return Some(path.strip_prefix('/').unwrap_or(path));
    }
    // Only a parameter that ends the path is a tail (a catch-all must end its route).
    req.last_raw_param()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test::request;

    fn tail(target: &str, pattern: &str) -> Option<String> {
        let service = crate::App::new()
            .route(http::Method::GET, pattern, |_req: Request| async { "" })
            .build()
            .unwrap();
        let mut req = request(&format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n"));
        let _ = service.resolve(&mut req);
        raw_tail(&req).map(str::to_string)
    }

    #[test]
    fn raw_tail_is_the_encoded_form_of_the_last_parameter() {
        assert_eq!(
            tail("/static/css/a.css", "/static/{*path}").as_deref(),
            Some("css/a.css")
        );
        assert_eq!(
            tail("/static/..%2Fsecret", "/static/{*path}").as_deref(),
            Some("..%2Fsecret")
        );
        assert_eq!(
            tail("/static/%252e%252e", "/static/{*path}").as_deref(),
            Some("%252e%252e")
        );
        assert_eq!(
            tail("/static/a/%2e%2e", "/static/{*path}").as_deref(),
            Some("a/%2e%2e")
        );
        assert_eq!(tail("/static/", "/static/{*path}").as_deref(), Some(""));
        assert_eq!(
            tail("/static//etc/passwd", "/static/{*path}").as_deref(),
            Some("/etc/passwd")
        );
        assert_eq!(
            tail("/static/x?q=1", "/static/{*path}").as_deref(),
            Some("x")
        );
        assert_eq!(tail("/a/b", "/a/b").as_deref(), Some("a/b"));
        assert_eq!(tail("/a/b/index", "/a/{x}/index"), None);
    }
}
