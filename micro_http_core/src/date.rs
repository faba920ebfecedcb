//! The `Date` header value (RFC 9110 §6.6.1), formatted at most once per second per worker thread.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An IMF-fixdate is always 29 bytes: `Thu, 26 Nov 2026 10:00:00 GMT`.
pub(crate) const DATE_LEN: usize = 29;

struct Cached {
    second: u64,
    text: [u8; DATE_LEN],
}

thread_local! {
    static CACHE: RefCell<Cached> = const { RefCell::new(Cached { second: u64::MAX, text: [b' '; DATE_LEN] }) };
}

/// Calls `f` with the current date, formatted. Reading the clock is a vDSO call; formatting happens only when the
/// second has changed since this thread last looked. With `read_clock` false the date this thread formatted last
/// is used as is (the caller read the clock a moment ago); it is read anyway if this thread has none yet.
pub(crate) fn with_date<R>(read_clock: bool, f: impl FnOnce(&[u8; DATE_LEN]) -> R) -> R {
    CACHE.with(|cell| {
        let mut cached = cell.borrow_mut();
        if read_clock || cached.second == u64::MAX {
            let second = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_secs();
            if cached.second != second {
                let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(second));
                let bytes = text.as_bytes();
                if bytes.len() == DATE_LEN {
                    cached.text.copy_from_slice(bytes);
                    cached.second = second;
                }
            }
        }
        f(&cached.text)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_imf_fixdate() {
        let s = with_date(true, |d| String::from_utf8(d.to_vec()).unwrap());
        assert_eq!(s.len(), DATE_LEN);
        assert!(s.ends_with(" GMT"), "{s}");
        assert!(httpdate::parse_http_date(&s).is_ok(), "{s}");
    }
}
