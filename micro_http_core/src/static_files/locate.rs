//! Finding the file for a checked path on disk: symlink policy, directories and their index file, regular
//! files only, and the precompressed sibling the client accepts.
//!
//! Blocking code: it runs on tokio's blocking pool, all filesystem calls of one request in one trip.

use std::ffi::OsString;
use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Component, Path, PathBuf};

use super::encoding::Encoding;
use super::path::RelPath;

/// How to look files up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy<'a> {
    /// The file a directory request gets, if any.
    pub(crate) index_file: Option<&'a str>,
    /// Serve files whose canonical path lies outside the root.
    pub(crate) follow_symlinks: bool,
    /// Serve files whose canonical path has a segment starting with `.`.
    pub(crate) show_dotfiles: bool,
}

/// The outcome of a lookup.
#[derive(Debug)]
pub(crate) enum Located {
    /// A regular file, opened.
    File(Box<Found>),
    /// A directory named without its trailing slash: the client is sent to the slash form, so that relative
    /// links in its index page resolve inside the directory.
    AddSlash,
    /// Nothing to serve (missing, a directory without index, not a regular file, outside the root). 404.
    NotFound,
    /// The filesystem refused access. 403.
    Forbidden,
}

/// A file to serve.
#[derive(Debug)]
pub(crate) struct Found {
    /// The open file (the identity file or its precompressed sibling).
    pub(crate) file: File,
    /// Its metadata, read from the open handle.
    pub(crate) meta: Metadata,
    /// The path that was asked for (the index file for a directory): its extension gives the Content-Type.
    pub(crate) name: PathBuf,
    /// The content coding of `file`, when it is a precompressed sibling.
    pub(crate) encoding: Option<Encoding>,
}

/// Looks `rel` up below `root` (canonical), trying the siblings for `encodings` (best first) before the file.
pub(crate) fn locate(
    root: &Path,
    rel: &RelPath,
    policy: Policy<'_>,
    encodings: &[Encoding],
) -> Located {
    match find(root, rel, policy, encodings) {
        Ok(located) => located,
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Located::Forbidden,
        Err(e) => {
            tracing::debug!(path = ?rel.path, error = %e, "static file not served");
            Located::NotFound
        }
    }
}

fn find(
    root: &Path,
    rel: &RelPath,
    policy: Policy<'_>,
    encodings: &[Encoding],
) -> io::Result<Located> {
    let mut name = root.join(&rel.path);
    let Some((mut canonical, mut meta)) = checked(root, &name, policy)? else {
        return Ok(Located::NotFound);
    };
    if meta.is_dir() {
        if !rel.trailing_slash {
            return Ok(Located::AddSlash);
        }
        let Some(index) = policy.index_file else {
            return Ok(Located::NotFound);
        };
        name = canonical.join(index);
        let Some(found) = checked(root, &name, policy)? else {
            return Ok(Located::NotFound);
        };
        (canonical, meta) = found;
    } else if rel.trailing_slash {
        // `site.css/` names a directory that is not there.
        return Ok(Located::NotFound);
    }
    if !meta.is_file() {
        // Never open a FIFO, socket or device: opening one may block or have effects.
        return Ok(Located::NotFound);
    }
    for &encoding in encodings {
        let mut sibling = OsString::from(name.as_os_str());
        sibling.push(encoding.file_suffix());
        match checked(root, Path::new(&sibling), policy) {
            Ok(Some((path, meta))) if meta.is_file() => {
                if let Ok(found) = open(path, name.clone(), Some(encoding)) {
                    return Ok(Located::File(Box::new(found)));
                }
            }
            _ => {}
        }
    }
    open(canonical, name, None).map(|found| Located::File(Box::new(found)))
}

/// The canonical form and metadata of `path`, or `None` if the symlink or dotfile policy refuses it.
fn checked(
    root: &Path,
    path: &Path,
    policy: Policy<'_>,
) -> io::Result<Option<(PathBuf, Metadata)>> {
    let canonical = fs::canonicalize(path)?;
    match canonical.strip_prefix(root) {
        Ok(inside) => {
            // A symlink inside the root may still lead to a hidden file.
            let hidden = inside.components().any(|c| match c {
                Component::Normal(n) => n.to_string_lossy().starts_with('.'),
                _ => true,
            });
            if hidden && !policy.show_dotfiles {
                return Ok(None);
            }
        }
        Err(_) if !policy.follow_symlinks => {
            tracing::debug!(path = ?path, target = ?canonical, "symlink leads out of the static root");
            return Ok(None);
        }
        Err(_) => {}
    }
    let meta = fs::metadata(&canonical)?;
    Ok(Some((canonical, meta)))
}

fn open(path: PathBuf, name: PathBuf, encoding: Option<Encoding>) -> io::Result<Found> {
    let file = File::open(&path)?;
    // From the handle: the size and time describe the very bytes that will be read.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "no longer a regular file",
        ));
    }
    Ok(Found {
        file,
        meta,
        name,
        encoding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::static_files::path::resolve;

    const POLICY: Policy<'static> = Policy {
        index_file: Some("index.html"),
        follow_symlinks: false,
        show_dotfiles: false,
    };

    fn tree(name: &str) -> (PathBuf, PathBuf) {
        let base =
            std::env::temp_dir().join(format!("micro_http_locate_{}_{name}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let root = base.join("root");
        fs::create_dir_all(root.join("docs")).unwrap();
        fs::create_dir_all(root.join("empty")).unwrap();
        fs::write(root.join("a.css"), "a").unwrap();
        fs::write(root.join("a.css.gz"), "gz").unwrap();
        fs::write(root.join("docs/index.html"), "index").unwrap();
        fs::write(base.join("secret.txt"), "secret").unwrap();
        (base, fs::canonicalize(root).unwrap())
    }

    fn look(root: &Path, raw: &str, policy: Policy<'_>, enc: &[Encoding]) -> Located {
        locate(
            root,
            &resolve(raw, policy.show_dotfiles).unwrap(),
            policy,
            enc,
        )
    }

    fn file_name(l: Located) -> (String, Option<Encoding>) {
        match l {
            Located::File(f) => (
                f.name.file_name().unwrap().to_string_lossy().into_owned(),
                f.encoding,
            ),
            other => panic!("expected a file, got {other:?}"),
        }
    }

    #[test]
    fn files_directories_and_siblings() {
        let (base, root) = tree("basic");
        assert_eq!(
            file_name(look(&root, "a.css", POLICY, &[])),
            ("a.css".into(), None)
        );
        let gz = file_name(look(
            &root,
            "a.css",
            POLICY,
            &[Encoding::Br, Encoding::Gzip],
        ));
        assert_eq!(gz, ("a.css".into(), Some(Encoding::Gzip)));
        assert_eq!(
            file_name(look(&root, "docs/", POLICY, &[])),
            ("index.html".into(), None)
        );
        assert!(matches!(
            look(&root, "docs", POLICY, &[]),
            Located::AddSlash
        ));
        assert!(matches!(
            look(&root, "a.css/", POLICY, &[]),
            Located::NotFound
        ));
        assert!(matches!(
            look(&root, "empty/", POLICY, &[]),
            Located::NotFound
        ));
        assert!(matches!(
            look(&root, "missing", POLICY, &[]),
            Located::NotFound
        ));
        let no_index = Policy {
            index_file: None,
            ..POLICY
        };
        assert!(matches!(
            look(&root, "docs/", no_index, &[]),
            Located::NotFound
        ));
        fs::remove_dir_all(base).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_root_are_refused_unless_followed() {
        let (base, root) = tree("symlink");
        std::os::unix::fs::symlink(base.join("secret.txt"), root.join("escape.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("a.css"), root.join("inside.css")).unwrap();
        fs::write(root.join(".env"), "hidden").unwrap();
        std::os::unix::fs::symlink(root.join(".env"), root.join("env.txt")).unwrap();
        assert!(matches!(
            look(&root, "escape.txt", POLICY, &[]),
            Located::NotFound
        ));
        assert!(matches!(
            look(&root, "env.txt", POLICY, &[]),
            Located::NotFound
        ));
        assert_eq!(
            file_name(look(&root, "inside.css", POLICY, &[])).0,
            "inside.css"
        );
        let follow = Policy {
            follow_symlinks: true,
            ..POLICY
        };
        assert_eq!(
            file_name(look(&root, "escape.txt", follow, &[])).0,
            "escape.txt"
        );
        fs::remove_dir_all(base).unwrap();
    }
}
