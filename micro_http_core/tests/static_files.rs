//! `StaticFiles` over real sockets: content types, validators and conditional requests, ranges, HEAD,
//! path attacks, dotfiles, directories, symlinks, precompressed siblings, large streamed files.
mod common;
use common::*;

use std::fs;
use std::path::PathBuf;

use micro_http_core::{App, Method, Request, StaticFiles};

const SECRET: &str = "TOP SECRET: never served";
const DIGITS: &[u8] = b"0123456789";

/// A temporary tree: `base/secret.txt` beside `base/root/`, the directory served.
struct Fixture {
    base: PathBuf,
    root: PathBuf,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let base =
            std::env::temp_dir().join(format!("micro_http_static_{}_{name}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let root = base.join("root");
        fs::create_dir_all(root.join("docs")).unwrap();
        fs::write(base.join("secret.txt"), SECRET).unwrap();
        let f = Fixture { base, root };
        f.write("style.css", b"body { color: red }");
        f.write("app.js", b"console.log(1)");
        f.write("logo.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        f.write("index.html", b"<h1>root</h1>");
        f.write("docs/index.html", b"<h1>docs</h1>");
        f.write("blob.zzunknown", b"\x00\x01\x02");
        f.write("digits.txt", &DIGITS.repeat(10));
        f.write(".env", SECRET.as_bytes());
        f.write("%41.txt", b"literal percent name");
        f
    }

    fn write(&self, rel: &str, data: &[u8]) {
        fs::write(self.root.join(rel), data).unwrap();
    }

    async fn serve(&self, files: StaticFiles) -> TestServer {
        start(static_app(files)).await
    }

    async fn serve_default(&self) -> TestServer {
        self.serve(StaticFiles::new(&self.root)).await
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.base);
    }
}

fn static_app(files: StaticFiles) -> App {
    App::new()
        .route(Method::GET, "/static/{*path}", move |req: Request| {
            let files = files.clone();
            async move { files.serve(&req).await }
        })
        .limits(test_limits())
}

/// A GET (or other `method`) for `path` with extra header lines.
fn req(method: &str, path: &str, fields: &[(&str, &str)]) -> String {
    let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
    for (n, v) in fields {
        raw.push_str(&format!("{n}: {v}\r\n"));
    }
    raw + "\r\n"
}

async fn fetch(srv: &TestServer, path: &str, fields: &[(&str, &str)]) -> Resp {
    exchange(srv.addr, req("GET", path, fields)).await
}

/// GET and HEAD on one connection: the HEAD answer must carry exactly the GET head (less `Date`) and no body,
/// which the following request on the same connection proves.
async fn get_and_head(srv: &TestServer, path: &str, fields: &[(&str, &str)]) -> (Resp, Resp) {
    let mut c = Client::connect(srv.addr).await;
    c.send(req("GET", path, fields)).await;
    let get = c.read_response(false).await;
    c.send(req("HEAD", path, fields)).await;
    let head = c.read_response(true).await;
    c.send(req("GET", "/static/style.css", &[])).await;
    assert_eq!(
        c.read_response(false).await.text(),
        "body { color: red }",
        "HEAD sent a body"
    );
    let strip = |r: &Resp| -> Vec<(String, String)> {
        r.headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("date"))
            .cloned()
            .collect()
    };
    assert_eq!(head.status, get.status);
    assert_eq!(
        strip(&head),
        strip(&get),
        "HEAD and GET heads differ for {path}"
    );
    (get, head)
}

#[tokio::test]
async fn content_type_follows_the_extension() {
    let f = Fixture::new("content_type");
    let srv = f.serve_default().await;
    for (path, ct) in [
        ("style.css", "text/css; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
        ("digits.txt", "text/plain; charset=utf-8"),
        ("logo.svg", "image/svg+xml"),
        ("blob.zzunknown", "application/octet-stream"),
    ] {
        let r = fetch(&srv, &format!("/static/{path}"), &[]).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ct), "{path}");
        assert_eq!(r.body, fs::read(f.root.join(path)).unwrap(), "{path}");
    }
    let js = fetch(&srv, "/static/app.js", &[]).await;
    let ct = js.header("content-type").unwrap();
    assert!(
        ct.contains("javascript") && ct.ends_with("; charset=utf-8"),
        "{ct}"
    );
}

#[tokio::test]
async fn validators_and_caching_headers_are_sent() {
    let f = Fixture::new("validators");
    let srv = f.serve_default().await;
    let r = fetch(&srv, "/static/style.css", &[]).await;
    let etag = r.header("etag").unwrap();
    assert!(
        etag.starts_with("\"13-") && etag.ends_with('"') && !etag.starts_with("W/"),
        "{etag}"
    );
    let lm = r.header("last-modified").unwrap();
    assert!(
        httpdate::parse_http_date(lm).is_ok() && lm.ends_with(" GMT"),
        "{lm}"
    );
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("content-length"), Some("19"));

    let srv = f
        .serve(StaticFiles::new(&f.root).cache_control("public, max-age=3600"))
        .await;
    let r = fetch(&srv, "/static/style.css", &[]).await;
    assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
}

#[tokio::test]
async fn if_none_match_gives_304_without_body() {
    let f = Fixture::new("inm");
    let srv = f.serve_default().await;
    let full = fetch(&srv, "/static/style.css", &[]).await;
    let etag = full.header("etag").unwrap().to_string();
    let weak = format!("W/{etag}");
    let listed = format!("\"nope\", {etag}");
    for value in [etag.as_str(), weak.as_str(), listed.as_str(), "*"] {
        let mut c = Client::connect(srv.addr).await;
        c.send(req("GET", "/static/style.css", &[("If-None-Match", value)]))
            .await;
        let r = c.read_response(false).await;
        assert_eq!(r.status, 304, "{value}");
        assert_eq!(r.header("etag"), Some(etag.as_str()));
        assert_eq!(r.header("last-modified"), full.header("last-modified"));
        assert_eq!(r.header("cache-control"), Some("no-cache"));
        assert_eq!(r.header("content-length"), None);
        assert!(r.body.is_empty());
        // Nothing followed the 304's head: the next response on the connection parses cleanly.
        c.send(get("/static/digits.txt")).await;
        assert_eq!(c.read_response(false).await.body, DIGITS.repeat(10));
    }
    let r = fetch(&srv, "/static/style.css", &[("If-None-Match", "\"other\"")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "body { color: red }");
}

#[tokio::test]
async fn if_modified_since_gives_304_unless_if_none_match_is_present() {
    let f = Fixture::new("ims");
    let srv = f.serve_default().await;
    let full = fetch(&srv, "/static/style.css", &[]).await;
    let lm = full.header("last-modified").unwrap().to_string();
    let r = fetch(&srv, "/static/style.css", &[("If-Modified-Since", &lm)]).await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    let r = fetch(
        &srv,
        "/static/style.css",
        &[("If-Modified-Since", "Thu, 01 Jan 1970 00:00:01 GMT")],
    )
    .await;
    assert_eq!(r.status, 200);
    let both = [
        ("If-None-Match", "\"other\""),
        ("If-Modified-Since", lm.as_str()),
    ];
    assert_eq!(fetch(&srv, "/static/style.css", &both).await.status, 200);
}

#[tokio::test]
async fn ranges_give_exact_bytes() {
    let f = Fixture::new("ranges");
    let srv = f.serve_default().await;
    let data = DIGITS.repeat(10);
    for (range, start, end) in [
        ("bytes=10-19", 10, 19),
        ("bytes=-5", 95, 99),
        ("bytes=95-", 95, 99),
        ("bytes=0-0", 0, 0),
        ("bytes=90-500", 90, 99),
    ] {
        let (r, _) = get_and_head(&srv, "/static/digits.txt", &[("Range", range)]).await;
        assert_eq!(r.status, 206, "{range}");
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes {start}-{end}/100").as_str()),
            "{range}"
        );
        assert_eq!(
            r.header("content-length"),
            Some((end - start + 1).to_string().as_str())
        );
        assert_eq!(r.body, &data[start..=end], "{range}");
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    }
}

#[tokio::test]
async fn unsatisfiable_range_is_416_and_odd_ranges_get_the_whole_file() {
    let f = Fixture::new("range416");
    let srv = f.serve_default().await;
    for range in ["bytes=100-", "bytes=100-200", "bytes=-0"] {
        let r = fetch(&srv, "/static/digits.txt", &[("Range", range)]).await;
        assert_eq!(r.status, 416, "{range}");
        assert_eq!(r.header("content-range"), Some("bytes */100"));
    }
    for range in [
        "bytes=0-1,5-6",
        "bytes=x-y",
        "bytes=5-2",
        "pages=1-2",
        "bytes",
    ] {
        let r = fetch(&srv, "/static/digits.txt", &[("Range", range)]).await;
        assert_eq!(r.status, 200, "{range}");
        assert_eq!(r.body.len(), 100);
        assert_eq!(r.header("content-range"), None);
    }
}

#[tokio::test]
async fn if_range_honours_etag_and_date() {
    let f = Fixture::new("if_range");
    let srv = f.serve_default().await;
    let full = fetch(&srv, "/static/digits.txt", &[]).await;
    let etag = full.header("etag").unwrap();
    let lm = full.header("last-modified").unwrap();
    for (validator, status) in [
        (etag, 206),
        (lm, 206),
        ("\"stale\"", 200),
        ("Thu, 01 Jan 1970 00:00:01 GMT", 200),
    ] {
        let r = fetch(
            &srv,
            "/static/digits.txt",
            &[("Range", "bytes=0-4"), ("If-Range", validator)],
        )
        .await;
        assert_eq!(r.status, status, "{validator}");
        assert_eq!(r.body.len(), if status == 206 { 5 } else { 100 });
    }
}

#[tokio::test]
async fn head_has_the_get_head_and_no_body() {
    let f = Fixture::new("head");
    f.write("big.bin", &vec![7u8; 300_000]);
    let srv = f.serve_default().await;
    let (get, head) = get_and_head(&srv, "/static/style.css", &[]).await;
    assert_eq!(get.status, 200);
    assert!(head.body.is_empty());
    let (get, _) = get_and_head(&srv, "/static/big.bin", &[]).await;
    assert_eq!(get.header("content-length"), Some("300000"));
    let etag = get.header("etag").unwrap().to_string();
    let (not_modified, _) =
        get_and_head(&srv, "/static/big.bin", &[("If-None-Match", &etag)]).await;
    assert_eq!(not_modified.status, 304);
    get_and_head(&srv, "/static/big.bin", &[("Range", "bytes=100-")]).await;
    get_and_head(&srv, "/static/missing.css", &[]).await;
    get_and_head(&srv, "/static/docs", &[]).await;
}

#[tokio::test]
async fn traversal_and_malformed_paths_never_leak_the_secret() {
    let f = Fixture::new("attacks");
    let srv = f.serve_default().await;
    let attacks: &[(&str, u16)] = &[
        ("/static/../secret.txt", 403),
        ("/static/%2e%2e/secret.txt", 403),
        ("/static/%2E%2E/secret.txt", 403),
        ("/static/.%2e/secret.txt", 403),
        ("/static/%2e./secret.txt", 403),
        ("/static/docs/../../secret.txt", 403),
        ("/static/./style.css", 403),
        ("/static/..%2fsecret.txt", 400),
        ("/static/..%2Fsecret.txt", 400),
        ("/static/..%5csecret.txt", 400),
        ("/static/..%5Csecret.txt", 400),
        ("/static/..\\secret.txt", 400),
        ("/static/secret.txt%00.css", 400),
        ("/static/%00", 400),
        ("/static/%0d%0aX:%20y", 400),
        ("/static/%7f", 400),
        ("/static//etc/passwd", 400),
        ("/static//secret.txt", 400),
        ("/static/docs//index.html", 400),
        ("/static/C:/secret.txt", 400),
        ("/static/C:%5Csecret.txt", 400),
        ("/static/c%3a/secret.txt", 400),
        ("/static/%c0%ae%c0%ae/secret.txt", 400),
        ("/static/%e0%80%ae%e0%80%ae/secret.txt", 400),
        ("/static/%ff%fe", 400),
        ("/static/%zz", 400),
        ("/static/%2", 400),
        ("/static/%252e%252e/secret.txt", 404),
        ("/static/%252e%252e%252fsecret.txt", 404),
    ];
    for &(path, status) in attacks {
        let r = fetch(&srv, path, &[]).await;
        assert_eq!(r.status, status, "{path}: {}", r.text());
        assert!(!r.text().contains("TOP SECRET"), "{path} leaked the secret");
    }
}

#[tokio::test]
async fn percent_escapes_are_decoded_exactly_once() {
    let f = Fixture::new("decode_once");
    let srv = f.serve_default().await;
    // `%2541.txt` is the file literally named `%41.txt`; `%41.txt` is `A.txt`, which does not exist.
    let r = fetch(&srv, "/static/%2541.txt", &[]).await;
    assert_eq!((r.status, r.text().as_str()), (200, "literal percent name"));
    assert_eq!(fetch(&srv, "/static/%41.txt", &[]).await.status, 404);
    assert_eq!(
        fetch(&srv, "/static/styl%65.css", &[]).await.text(),
        "body { color: red }"
    );
}

#[tokio::test]
async fn dotfiles_are_hidden() {
    let f = Fixture::new("dotfiles");
    fs::create_dir_all(f.root.join(".git")).unwrap();
    f.write(".git/config", SECRET.as_bytes());
    let srv = f.serve_default().await;
    for path in [
        "/static/.env",
        "/static/%2eenv",
        "/static/%2Eenv",
        "/static/.git/config",
        "/static/.git/",
    ] {
        let r = fetch(&srv, path, &[]).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("TOP SECRET"));
    }
    let srv = f.serve(StaticFiles::new(&f.root).show_dotfiles(true)).await;
    assert_eq!(fetch(&srv, "/static/.env", &[]).await.text(), SECRET);
    assert_eq!(
        fetch(&srv, "/static/%2e%2e/secret.txt", &[]).await.status,
        403
    );
}

#[tokio::test]
async fn missing_files_are_404() {
    let f = Fixture::new("missing");
    let srv = f.serve_default().await;
    for path in [
        "/static/nope.css",
        "/static/docs/nope",
        "/static/style.css/",
        "/static/style.css/x",
    ] {
        let r = fetch(&srv, path, &[]).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        assert!(r.text().starts_with("not found"));
    }
    let srv = f.serve(StaticFiles::new(f.base.join("no-such-root"))).await;
    assert_eq!(fetch(&srv, "/static/style.css", &[]).await.status, 404);
}

#[tokio::test]
async fn directories_serve_their_index_or_redirect_to_the_slash_form() {
    let f = Fixture::new("dirs");
    let srv = f.serve_default().await;
    let r = fetch(&srv, "/static/docs/", &[]).await;
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>docs</h1>"));
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(fetch(&srv, "/static/", &[]).await.text(), "<h1>root</h1>");
    let r = fetch(&srv, "/static/docs?v=1", &[]).await;
    assert_eq!(r.status, 308);
    assert_eq!(r.header("location"), Some("/static/docs/?v=1"));

    let srv = f.serve(StaticFiles::new(&f.root).index_file(None)).await;
    assert_eq!(fetch(&srv, "/static/docs/", &[]).await.status, 404);
    assert_eq!(fetch(&srv, "/static/", &[]).await.status, 404);
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_out_of_the_root_are_refused_unless_followed() {
    let f = Fixture::new("symlinks");
    fs::create_dir_all(f.base.join("outside")).unwrap();
    fs::write(f.base.join("outside/file.txt"), SECRET).unwrap();
    std::os::unix::fs::symlink(f.base.join("secret.txt"), f.root.join("escape.txt")).unwrap();
    std::os::unix::fs::symlink(f.base.join("outside"), f.root.join("outdir")).unwrap();
    std::os::unix::fs::symlink(f.root.join("style.css"), f.root.join("alias.css")).unwrap();
    let srv = f.serve_default().await;
    for path in [
        "/static/escape.txt",
        "/static/outdir/file.txt",
        "/static/outdir/",
    ] {
        let r = fetch(&srv, path, &[]).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.text().contains("TOP SECRET"));
    }
    assert_eq!(
        fetch(&srv, "/static/alias.css", &[]).await.text(),
        "body { color: red }"
    );

    let srv = f
        .serve(StaticFiles::new(&f.root).follow_symlinks(true))
        .await;
    assert_eq!(fetch(&srv, "/static/escape.txt", &[]).await.text(), SECRET);
    assert_eq!(fetch(&srv, "/static/../secret.txt", &[]).await.status, 403);
}

#[tokio::test]
async fn precompressed_siblings_follow_accept_encoding() {
    let f = Fixture::new("precompressed");
    f.write("site.css", b"identity bytes");
    f.write("site.css.br", b"brotli bytes");
    f.write("site.css.gz", b"gzip bytes");
    f.write("only.js", b"identity js");
    f.write("only.js.gz", b"gzip js");
    let srv = f.serve_default().await;
    let cases: &[(&str, Option<&str>, &str)] = &[
        (
            "/static/site.css",
            Some("gzip, deflate, br"),
            "brotli bytes",
        ),
        ("/static/site.css", Some("gzip"), "gzip bytes"),
        ("/static/site.css", Some("br;q=0, gzip"), "gzip bytes"),
        ("/static/site.css", Some("gzip;q=1, br;q=0.5"), "gzip bytes"),
        ("/static/site.css", Some("identity"), "identity bytes"),
        ("/static/site.css", None, "identity bytes"),
        ("/static/only.js", Some("br, gzip"), "gzip js"),
        ("/static/only.js", Some("br"), "identity js"),
    ];
    let mut etags = std::collections::HashSet::new();
    for &(path, accept, body) in cases {
        let fields: Vec<(&str, &str)> =
            accept.map(|a| ("Accept-Encoding", a)).into_iter().collect();
        let (r, _) = get_and_head(&srv, path, &fields).await;
        assert_eq!(r.text(), body, "{path} {accept:?}");
        assert_eq!(r.header("vary"), Some("accept-encoding"));
        let expected = match body.split(' ').next().unwrap() {
            "brotli" => Some("br"),
            "gzip" => Some("gzip"),
            _ => None,
        };
        assert_eq!(r.header("content-encoding"), expected, "{path} {accept:?}");
        assert!(r
            .header("content-type")
            .unwrap()
            .starts_with(if path.ends_with(".css") {
                "text/css"
            } else {
                "text/javascript"
            }));
        if path.ends_with(".css") {
            etags.insert(r.header("etag").unwrap().to_string());
        }
    }
    assert_eq!(
        etags.len(),
        3,
        "each representation has its own ETag: {etags:?}"
    );
    let br_etag = fetch(&srv, "/static/site.css", &[("Accept-Encoding", "br")])
        .await
        .header("etag")
        .unwrap()
        .to_string();
    assert!(br_etag.ends_with("-br\""), "{br_etag}");
    let r = fetch(
        &srv,
        "/static/site.css",
        &[("Accept-Encoding", "br"), ("If-None-Match", &br_etag)],
    )
    .await;
    assert_eq!((r.status, r.header("vary")), (304, Some("accept-encoding")));

    let srv = f
        .serve(StaticFiles::new(&f.root).precompressed(false))
        .await;
    let r = fetch(&srv, "/static/site.css", &[("Accept-Encoding", "br, gzip")]).await;
    assert_eq!(r.text(), "identity bytes");
    assert_eq!(
        (r.header("vary"), r.header("content-encoding")),
        (None, None)
    );
}

#[tokio::test]
async fn a_large_file_is_streamed_intact() {
    let f = Fixture::new("large");
    let data: Vec<u8> = (0..5 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    f.write("large.bin", &data);
    let srv = f.serve_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send(get("/static/large.bin")).await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("5242880"));
    assert!(r.body == data, "streamed bytes differ");
    // A range across chunk boundaries, on the same connection.
    c.send(req(
        "GET",
        "/static/large.bin",
        &[("Range", "bytes=65530-200000")],
    ))
    .await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 206);
    assert!(r.body == data[65530..=200_000]);
    let r = fetch(&srv, "/static/large.bin", &[("Range", "bytes=-70000")]).await;
    assert!(r.body == data[data.len() - 70000..]);
}

/// Small files are served from memory; a changed file is picked up within the cache's one second, and a
/// deleted one stops being served.
#[tokio::test]
async fn cached_small_files_follow_changes_on_disk() {
    let f = Fixture::new("cache");
    let srv = f.serve_default().await;
    let first = fetch(&srv, "/static/style.css", &[]).await;
    assert_eq!(first.text(), "body { color: red }");
    let etag = first.header("etag").unwrap().to_string();
    // From memory: same validators, conditional and range requests still answered right.
    let again = fetch(&srv, "/static/style.css", &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status, 304);
    let part = fetch(&srv, "/static/style.css", &[("Range", "bytes=0-3")]).await;
    assert_eq!((part.status, part.text().as_str()), (206, "body"));

    // Older than the cache's freshness, with a different size so the ETag changes too.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    f.write("style.css", b"body { color: blue; }");
    let changed = fetch(&srv, "/static/style.css", &[]).await;
    assert_eq!(changed.text(), "body { color: blue; }");
    assert_ne!(changed.header("etag").unwrap(), etag);

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    fs::remove_file(f.root.join("style.css")).unwrap();
    assert_eq!(fetch(&srv, "/static/style.css", &[]).await.status, 404);
}
