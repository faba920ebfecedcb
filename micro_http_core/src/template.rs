//! HTML templates: [`Template::render`] fills a minijinja (Jinja syntax) template from `./templates` with any
//! `serde::Serialize` context. Output of `.html` templates is HTML-escaped unless marked `|safe`.
//!
//! Templates are parsed once and cached. In debug builds a changed file in the template directory is picked up
//! on the next render; release builds never re-read them.

use std::path::{Path, PathBuf};
use std::sync::{OnceLock, RwLock};
use std::time::SystemTime;

use http::StatusCode;
use minijinja::Environment;
use serde::Serialize;

use crate::response::{Html, IntoResponse, Response};

pub use minijinja::context;

static DIR: OnceLock<PathBuf> = OnceLock::new();
static ENGINE: OnceLock<Engine> = OnceLock::new();

/// The template directory: `./templates` unless set with [`set_template_dir`] before the first render.
pub fn template_dir() -> &'static Path {
    DIR.get_or_init(|| PathBuf::from("templates"))
}

/// Sets the template directory. Only the first call (before any render) takes effect; returns `false` after.
pub fn set_template_dir(dir: impl Into<PathBuf>) -> bool {
    DIR.set(dir.into()).is_ok()
}

struct Engine {
    env: RwLock<Environment<'static>>,
    /// Newest modification time seen in the directory (debug builds only).
    stamp: RwLock<Option<SystemTime>>,
}

fn engine() -> &'static Engine {
    ENGINE.get_or_init(|| {
        let dir = template_dir().to_path_buf();
        Engine {
            stamp: RwLock::new(newest_mtime(&dir)),
            env: RwLock::new(new_env(dir)),
        }
    })
}

fn new_env(dir: PathBuf) -> Environment<'static> {
    let mut env = Environment::new();
    // The path loader refuses names that leave the directory (`..`, absolute paths).
    env.set_loader(minijinja::path_loader(dir));
    env.set_formatter(html_formatter);
    env
}

/// minijinja's HTML escaping also rewrites `/` as `&#x2f;`; escaping the five characters that matter in text and
/// quoted attributes (`<` `>` `&` `"` `'`) is as safe and keeps URLs and paths readable in the page source.
fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() != minijinja::AutoEscape::Html
        || value.is_safe()
        || value.is_none()
        || value.is_undefined()
    {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = match value.as_str() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(value.to_string()),
    };
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let rep = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[last..i])
            .map_err(minijinja::Error::from)?;
        out.write_str(rep).map_err(minijinja::Error::from)?;
        last = i + 1;
    }
    out.write_str(&text[last..]).map_err(minijinja::Error::from)
}

/// The newest mtime of any file below `dir` (two levels deep is plenty for template folders).
fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    fn walk(dir: &Path, depth: u32, newest: &mut Option<SystemTime>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if let Ok(m) = meta.modified() {
                *newest = (*newest).max(Some(m));
            }
            if meta.is_dir() && depth > 0 {
                walk(&entry.path(), depth - 1, newest);
            }
        }
    }
    let mut newest = None;
    walk(dir, 2, &mut newest);
    newest
}

impl Engine {
    fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String, minijinja::Error> {
        if cfg!(debug_assertions) {
            let now = newest_mtime(template_dir());
            let changed = *self.stamp.read().unwrap_or_else(|e| e.into_inner()) != now;
            if changed {
                // Dropping the cache makes the loader re-read and re-parse on demand.
                self.env
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .clear_templates();
                *self.stamp.write().unwrap_or_else(|e| e.into_inner()) = now;
            }
        }
        let env = self.env.read().unwrap_or_else(|e| e.into_inner());
        env.get_template(name)?.render(ctx)
    }
}

/// A template to render into an HTML response.
///
/// ```no_run
/// use micro_http_core::template::{context, Template};
///
/// async fn index() -> Template {
///     Template::render("index.html", context! { name => "<world>" })   // rendered as &lt;world&gt;
/// }
/// ```
#[derive(Debug)]
pub struct Template {
    name: String,
    context: minijinja::Value,
}

impl Template {
    /// The template `name` (a path relative to the template directory) filled from `context`: a
    /// `context!{..}`, a struct or map that implements `Serialize`.
    pub fn render(name: impl Into<String>, context: impl Serialize) -> Template {
        Template {
            name: name.into(),
            context: minijinja::Value::from_serialize(&context),
        }
    }

    /// Renders now: the HTML, or the error (missing template, syntax error, failed filter) with its line.
    pub fn to_html(&self) -> Result<String, minijinja::Error> {
        engine().render(&self.name, self.context.clone())
    }
}

impl IntoResponse for Template {
    fn into_response(self) -> Response {
        match self.to_html() {
            Ok(html) => Html(html).into_response(),
            Err(e) => {
                tracing::error!(
                    template = %self.name,
                    line = e.line().unwrap_or(0),
                    error = %e,
                    "template render failed"
                );
                Response::text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal server error: template failed\n",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_from_a_fresh_environment() {
        let dir = std::env::temp_dir().join(format!("mh-tpl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("base.html"), "<b>{% block c %}{% endblock %}</b>").unwrap();
        std::fs::write(
            dir.join("p.html"),
            "{% extends \"base.html\" %}{% block c %}{{ x }}{% endblock %}",
        )
        .unwrap();
        let env = new_env(dir.clone());
        let out = env
            .get_template("p.html")
            .unwrap()
            .render(context! { x => "<i>&\"'/" })
            .unwrap();
        assert_eq!(out, "<b>&lt;i&gt;&amp;&quot;&#39;/</b>");
        assert!(env.get_template("../etc/passwd").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
