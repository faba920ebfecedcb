//! Request-head parsing: the connection's `HeadParser::parse` (httparse plus our strict checks and framing
//! semantics), with raw `httparse` alone as the floor.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use micro_http_core::bench_hooks::parse_head;

/// A Chrome 124 navigation request: 12 header fields, about 500 bytes.
const CHROME: &str = "GET /api/v1/users/42?tab=posts HTTP/1.1\r\n\
Host: localhost:8080\r\n\
Connection: keep-alive\r\n\
sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n\
sec-ch-ua-mobile: ?0\r\n\
sec-ch-ua-platform: \"Linux\"\r\n\
Upgrade-Insecure-Requests: 1\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n\
Sec-Fetch-Site: none\r\n\
Sec-Fetch-Mode: navigate\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
\r\n";

/// The TechEmpower plaintext request: 3 header fields.
const TECHEMPOWER: &str = "GET /plaintext HTTP/1.1\r\n\
Host: server\r\n\
Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n\
Connection: keep-alive\r\n\
\r\n";

/// A JSON POST with a `Content-Length` body (the body stays in the buffer, as on a connection).
const POST: &str = "POST /api/echo HTTP/1.1\r\n\
Host: localhost:8080\r\n\
User-Agent: curl/8.5.0\r\n\
Accept: */*\r\n\
Content-Type: application/json\r\n\
Content-Length: 27\r\n\
\r\n\
{\"message\":\"Hello, World!\"}";

fn bench(c: &mut Criterion) {
    let cases = [
        ("chrome_get_12h", CHROME),
        ("techempower_get_3h", TECHEMPOWER),
        ("post_content_length", POST),
    ];
    let mut g = c.benchmark_group("parse");
    for (name, raw) in cases {
        // Every case must parse, or the numbers would time an error path.
        let mut check = BytesMut::from(raw.as_bytes());
        assert!(parse_head(&mut check), "{name} does not parse");
        g.throughput(Throughput::Bytes(raw.len() as u64));
        g.bench_function(format!("{name}/micro_http"), |b| {
            b.iter_batched_ref(
                || BytesMut::from(raw.as_bytes()),
                |buf| black_box(parse_head(buf)),
                BatchSize::SmallInput,
            )
        });
        g.bench_function(format!("{name}/httparse_only"), |b| {
            b.iter(|| {
                let mut headers = [httparse::EMPTY_HEADER; 100];
                let mut req = httparse::Request::new(&mut headers);
                black_box(req.parse(black_box(raw.as_bytes())).unwrap().is_complete())
            })
        });
    }
    g.finish();
    eprintln!(
        "head sizes: chrome {} B, techempower {} B, post {} B",
        CHROME.len(),
        TECHEMPOWER.len(),
        POST.len()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
