//! Serving a small file with `StaticFiles` through the in-process `TestClient` (router, handler, file
//! lookup, validators, body), against `/plaintext` through the same client: the difference is the file path.

use std::hint::black_box;
use std::sync::LazyLock;

use criterion::{criterion_group, criterion_main, Criterion};
use micro_http_core::test::TestClient;
use micro_http_core::{App, Method, Request, Response, StaticFiles};

static FILES: LazyLock<StaticFiles> =
    LazyLock::new(|| StaticFiles::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../static")));

async fn assets(req: Request) -> Response {
    FILES.serve(&req).await
}

async fn plaintext(_req: Request) -> &'static str {
    "Hello, World!"
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = TestClient::new(
        App::new()
            .route(Method::GET, "/static/{*path}", assets)
            .route(Method::GET, "/plaintext", plaintext),
    );
    let file = "/static/logo.svg";
    let first = rt.block_on(client.get(file).send());
    assert_eq!(first.status(), 200);
    let etag = first.header("etag").expect("an ETag").to_string();
    eprintln!(
        "{file}: {} bytes, content-type {:?}, etag {etag}",
        first.bytes().len(),
        first.header("content-type")
    );
    assert_eq!(
        rt.block_on(client.get("/plaintext").send()).text(),
        "Hello, World!"
    );
    let revalidate = rt.block_on(client.get(file).header("if-none-match", &etag).send());
    assert_eq!(revalidate.status(), 304);

    let mut g = c.benchmark_group("static_files");
    g.bench_function("plaintext_route", |b| {
        b.iter(|| black_box(rt.block_on(client.get("/plaintext").send()).status()))
    });
    g.bench_function("static_file_200", |b| {
        b.iter(|| black_box(rt.block_on(client.get(file).send()).bytes().len()))
    });
    g.bench_function("static_file_304_if_none_match", |b| {
        b.iter(|| {
            black_box(
                rt.block_on(client.get(file).header("if-none-match", &etag).send())
                    .status(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
