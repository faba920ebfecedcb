//! Rendering the repository's `templates/index.html` (which extends `base.html`) with the engine's cache warm,
//! against a fresh minijinja environment that loads and parses both templates for every render: what each
//! request would cost if templates were not cached.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use micro_http_core::template::{context, set_template_dir, Template};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../templates");

fn bench(c: &mut Criterion) {
    assert!(set_template_dir(DIR));
    // The first render parses and caches the templates.
    let html = Template::render(
        "index.html",
        context! { message => "Hello, World!", name => "<bench>" },
    )
    .to_html()
    .expect("index.html renders");
    assert!(html.contains("Hello, &lt;bench&gt;!"));
    eprintln!("index.html renders to {} bytes", html.len());

    let mut g = c.benchmark_group("template");
    g.bench_function("index_html_cached", |b| {
        b.iter(|| {
            let t = Template::render(
                "index.html",
                context! { message => "Hello, World!", name => black_box("<bench>") },
            );
            black_box(t.to_html().unwrap().len())
        })
    });
    g.bench_function("index_html_reparsed_each_time", |b| {
        b.iter(|| {
            let mut env = minijinja::Environment::new();
            env.set_loader(minijinja::path_loader(DIR));
            let t = env.get_template("index.html").unwrap();
            black_box(
                t.render(context! { message => "Hello, World!", name => black_box("<bench>") })
                    .unwrap()
                    .len(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
