//! The `Date` header value (RFC 9110 §6.6.1), formatted at most once per second per worker thread.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An IMF-fixdate is always 29 bytes: `Thu, 26 Nov 2026 10:00:00 GMT`.
pub(crate) const DATE_LEN: usize = 29;

struct Cached {
    /// The second `text` shows, as the instants it is right for: `[from, until)`. Comparing the clock with them
    /// is cheaper than turning it into seconds since the epoch on every response.
    from: SystemTime,
    until: SystemTime,
    text: [u8; DATE_LEN],
}

thread_local! {
    static CACHE: RefCell<Cached> = const {
        RefCell::new(Cached { from: UNIX_EPOCH, until: UNIX_EPOCH, text: [b' '; DATE_LEN] })
    };
}

/// Calls `f` with the current date, formatted. Reading the clock is a vDSO call; formatting happens only when the
/// second has changed since this thread last looked. With `read_clock` false the date this thread formatted last
/// is used as is (the caller read the clock a moment ago); it is read anyway if this thread has none yet.
pub(crate) fn with_date<R>(read_clock: bool, f: impl FnOnce(&[u8; DATE_LEN]) -> R) -> R {
    CACHE.with(|cell| {
        let mut cached = cell.borrow_mut();
        if read_clock || cached.until == UNIX_EPOCH {
            let now = SystemTime::now();
            if now < cached.from || now >= cached.until {
                let second = now
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or(Duration::ZERO)
                    .as_secs();
                let from = UNIX_EPOCH + Duration::from_secs(second);
                let text = httpdate::fmt_http_date(from);
                let bytes = text.as_bytes();
                if bytes.len() == DATE_LEN {
                    cached.text.copy_from_slice(bytes);
                    cached.from = from;
                    cached.until = from + Duration::from_secs(1);
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
