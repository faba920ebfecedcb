//! Small files held in memory, so serving one costs no file-system call and no trip to the blocking pool:
//! an entry is trusted for one second, then the file is looked up again (and re-read if it changed).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::encoding::Encoding;
use super::file_response::FileInfo;

/// Files up to this size are cached; larger ones are streamed from disk every time.
pub(crate) const MAX_CACHED_FILE: u64 = 64 * 1024;
/// Bounds the cache (64 MiB at most); past it the cache starts over.
const MAX_ENTRIES: usize = 1024;
/// How long an entry is served without looking at the disk.
const FRESH_FOR: Duration = Duration::from_secs(1);

/// What a request resolved to: the checked relative path, whether it ended in `/`, the encodings it accepts.
pub(crate) type CacheKey = (PathBuf, bool, Vec<Encoding>);

/// A small file's bytes, with its validators and content type computed once.
#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) info: FileInfo,
    pub(crate) body: Bytes,
    pub(crate) checked: Instant,
}

/// The cache of one [`StaticFiles`](super::StaticFiles).
#[derive(Debug, Default)]
pub(crate) struct FileCache {
    map: Mutex<HashMap<CacheKey, Arc<Cached>>>,
}

impl FileCache {
    /// The entry for `key` if it was checked against the disk less than a second ago.
    pub(crate) fn get(&self, key: &CacheKey) -> Option<Arc<Cached>> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|c| c.checked.elapsed() < FRESH_FOR)
            .cloned()
    }

    pub(crate) fn insert(&self, key: CacheKey, value: Arc<Cached>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, value);
    }
}
