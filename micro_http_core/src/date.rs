//! The `Date` header value (RFC 9110 §6.6.1), formatted at most once per second per worker thread.
//!
//! The second comes from the server's coarse clock (`clock.rs`), which its ticker thread sets every 100 ms: a
//! response reads an atomic, not the system clock, and the date it shows is at most that much behind.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An IMF-fixdate is always 29 bytes: `Thu, 26 Nov 2026 10:00:00 GMT`.
pub(crate) const DATE_LEN: usize = 29;

struct Cached {
    /// The Unix second `text` shows; `u64::MAX` before the first.
    second: u64,
    text: [u8; DATE_LEN],
}

thread_local! {
    static CACHE: RefCell<Cached> = const {
        RefCell::new(Cached { second: u64::MAX, text: [b' '; DATE_LEN] })
    };
}

/// Seconds since the Unix epoch at `t` (0 before it).
pub(crate) fn unix_secs_at(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// Seconds since the Unix epoch now, from the system clock.
pub(crate) fn unix_secs_now() -> u64 {
    unix_secs_at(SystemTime::now())
}

/// Calls `f` with the date of the Unix second `second`, formatted; formatting happens only when the second differs
/// from the one this thread formatted last.
pub(crate) fn with_date<R>(second: u64, f: impl FnOnce(&[u8; DATE_LEN]) -> R) -> R {
    CACHE.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.second != second {
            let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(second));
            let bytes = text.as_bytes();
            if bytes.len() == DATE_LEN {
                cached.text.copy_from_slice(bytes);
                cached.second = second;
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
        let s = with_date(unix_secs_now(), |d| String::from_utf8(d.to_vec()).unwrap());
        assert_eq!(s.len(), DATE_LEN);
        assert!(s.ends_with(" GMT"), "{s}");
        assert!(httpdate::parse_http_date(&s).is_ok(), "{s}");
    }

    #[test]
    fn shows_the_second_it_is_given_and_follows_it() {
        let second = 1_795_687_200; // Thu, 26 Nov 2026 10:00:00 GMT
        let text = |s| with_date(s, |d| String::from_utf8(d.to_vec()).unwrap());
        assert_eq!(text(second), "Thu, 26 Nov 2026 10:00:00 GMT");
        assert_eq!(text(second + 61), "Thu, 26 Nov 2026 10:01:01 GMT");
        assert_eq!(text(second), "Thu, 26 Nov 2026 10:00:00 GMT");
    }
}
