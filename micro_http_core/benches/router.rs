//! Path routing: `micro_http_core::router::Router` against `matchit::Router` with the same 50 routes
//! (25 static, 25 with parameters or a catch-all). Each iteration looks up 5 paths.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const ROUTES: &[&str] = &[
    // 25 static
    "/",
    "/health",
    "/metrics",
    "/login",
    "/logout",
    "/signup",
    "/about",
    "/contact",
    "/plaintext",
    "/json",
    "/favicon.ico",
    "/docs",
    "/admin",
    "/admin/users",
    "/admin/settings",
    "/api/v1/status",
    "/api/v1/users",
    "/api/v1/users/me",
    "/api/v1/posts",
    "/api/v1/comments",
    "/api/v1/tags",
    "/api/v1/search",
    "/api/v1/settings",
    "/api/v2/users",
    "/api/v2/posts",
    // 25 with parameters
    "/api/v1/users/{id}",
    "/api/v1/users/{id}/posts",
    "/api/v1/users/{id}/posts/{post}",
    "/api/v1/users/{id}/posts/{post}/comments",
    "/api/v1/users/{id}/posts/{post}/comments/{comment}",
    "/api/v1/users/{id}/followers",
    "/api/v1/users/{id}/following",
    "/api/v1/posts/{post}",
    "/api/v1/posts/{post}/comments",
    "/api/v1/posts/{post}/likes",
    "/api/v1/comments/{comment}",
    "/api/v1/tags/{tag}",
    "/api/v1/tags/{tag}/posts",
    "/api/v2/users/{id}",
    "/api/v2/users/{id}/posts",
    "/api/v2/posts/{post}",
    "/admin/users/{id}",
    "/admin/users/{id}/edit",
    "/orgs/{org}",
    "/orgs/{org}/repos",
    "/orgs/{org}/repos/{repo}",
    "/orgs/{org}/repos/{repo}/issues",
    "/orgs/{org}/repos/{repo}/issues/{issue}",
    "/u/{name}",
    "/static/{*path}",
];

const STATIC_HITS: &[&str] = &[
    "/",
    "/plaintext",
    "/api/v1/users/me",
    "/admin/settings",
    "/api/v2/posts",
];
const PARAM_HITS: &[&str] = &[
    "/api/v1/users/42",
    "/api/v1/users/42/posts/7",
    "/api/v1/users/42/posts/7/comments/99",
    "/orgs/rust-lang/repos/rust/issues/12345",
    "/static/css/style.css",
];
const MISSES: &[&str] = &[
    "/nope",
    "/api/v1/users/42/unknown",
    "/api/v3/users",
    "/admin/users/42/delete",
    "/orgs",
];

fn bench(c: &mut Criterion) {
    assert_eq!(ROUTES.len(), 50);
    let mut ours = micro_http_core::router::Router::new();
    let mut theirs = matchit::Router::new();
    for (i, r) in ROUTES.iter().enumerate() {
        assert_eq!(ours.insert(r).unwrap(), i, "{r}");
        theirs.insert(*r, i).unwrap();
    }
    // Both routers must agree on every lookup, captures included.
    for path in STATIC_HITS.iter().chain(PARAM_HITS).chain(MISSES) {
        let a = ours.at(path).map(|(id, caps)| {
            let vals: Vec<&str> = caps.iter().map(|&(s, e)| &path[s..e]).collect();
            (id, vals)
        });
        let b = theirs.at(path).ok().map(|m| {
            (
                *m.value,
                m.params.iter().map(|(_, v)| v).collect::<Vec<_>>(),
            )
        });
        assert_eq!(a, b, "{path}");
    }

    for (name, paths) in [
        ("static_hit", STATIC_HITS),
        ("param_hit", PARAM_HITS),
        ("miss", MISSES),
    ] {
        let mut g = c.benchmark_group(format!("router/{name}"));
        g.throughput(Throughput::Elements(paths.len() as u64));
        g.bench_function("micro_http", |b| {
            b.iter(|| {
                for p in paths {
                    black_box(ours.at(black_box(p)));
                }
            })
        });
        g.bench_function("matchit", |b| {
            b.iter(|| {
                for p in paths {
                    let _ = black_box(theirs.at(black_box(p)));
                }
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
