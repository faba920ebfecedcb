//! Building and encoding responses: the plaintext head alone, and the whole TechEmpower responses
//! (handler return value -> `IntoResponse` -> head and body in the write buffer).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use micro_http_core::bench_hooks::{encode_plaintext_head, encode_response_head};
use micro_http_core::response::ResponseBody;
use micro_http_core::{IntoResponse, Json, Response};
use serde::Serialize;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

/// What the connection does with a handler's response: the head, then a full body, into the write buffer.
fn queue(out: &mut Vec<u8>, mut res: Response) {
    encode_response_head(out, &res);
    if let ResponseBody::Full(b) = res.take_body() {
        out.extend_from_slice(&b);
    }
}

fn bench(c: &mut Criterion) {
    let mut out = Vec::with_capacity(4096);
    let mut g = c.benchmark_group("response");
    g.bench_function("plaintext_head_encode", |b| {
        b.iter(|| {
            out.clear();
            encode_plaintext_head(&mut out);
            black_box(out.len())
        })
    });
    g.bench_function("plaintext_into_response_and_encode", |b| {
        b.iter(|| {
            out.clear();
            queue(&mut out, black_box("Hello, World!").into_response());
            black_box(out.len())
        })
    });
    g.bench_function("json_into_response_and_encode", |b| {
        b.iter(|| {
            out.clear();
            let res = Json(Message {
                message: black_box("Hello, World!"),
            })
            .into_response();
            queue(&mut out, res);
            black_box(out.len())
        })
    });
    g.finish();
    out.clear();
    queue(
        &mut out,
        Json(Message {
            message: "Hello, World!",
        })
        .into_response(),
    );
    eprintln!("json response:\n{}", String::from_utf8_lossy(&out));
}

criterion_group!(benches, bench);
criterion_main!(benches);
