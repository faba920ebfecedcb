//! The `Range` field (RFC 9110 §14.2), for one byte range.
//!
//! A request for several ranges gets the whole file with 200 (RFC 9110 §14.2: a server MAY ignore `Range`),
//! which spares a `multipart/byteranges` body that few clients ask for; so does a `Range` that does not parse,
//! a unit other than `bytes`, or any range of an empty file.

/// A satisfiable byte range, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteRange {
    /// The first byte.
    pub(crate) start: u64,
    /// The last byte (included).
    pub(crate) end: u64,
}

impl ByteRange {
    /// The number of bytes in the range.
    pub(crate) fn len(self) -> u64 {
        self.end - self.start + 1
    }
}

/// What to send for a `Range` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeOutcome {
    /// 200 with the whole file (no range, an ignored one, or several).
    Full,
    /// 206 with this part.
    Partial(ByteRange),
    /// 416: the one range asked for lies past the end.
    Unsatisfiable,
}

/// Decides what to send for `Range: value` on a file of `size` bytes.
pub(crate) fn parse(value: &str, size: u64) -> RangeOutcome {
    let value = value.trim();
    let Some((unit, set)) = value.split_once('=') else {
        return RangeOutcome::Full;
    };
    if !unit.eq_ignore_ascii_case("bytes") || size == 0 {
        return RangeOutcome::Full;
    }
    let mut specs = set.split(',').map(str::trim).filter(|s| !s.is_empty());
    let (Some(spec), None) = (specs.next(), specs.next()) else {
        return RangeOutcome::Full;
    };
    let Some((first, last)) = spec.split_once('-') else {
        return RangeOutcome::Full;
    };
    if first.is_empty() {
        // suffix-range: the last `n` bytes (the whole file if it is shorter).
        return match number(last) {
            Some(0) => RangeOutcome::Unsatisfiable,
            Some(n) => RangeOutcome::Partial(ByteRange {
                start: size.saturating_sub(n),
                end: size - 1,
            }),
            None => RangeOutcome::Full,
        };
    }
    let Some(start) = number(first) else {
        return RangeOutcome::Full;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match number(last) {
            Some(end) if end >= start => end,
            // `last < first` makes the range invalid, hence ignored (RFC 9110 §14.1.1).
            _ => return RangeOutcome::Full,
        }
    };
    if start >= size {
        return RangeOutcome::Unsatisfiable;
    }
    RangeOutcome::Partial(ByteRange {
        start,
        end: end.min(size - 1),
    })
}

/// `1*DIGIT`; a number too large for `u64` saturates (it is past the end of any file anyway).
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeOutcome::{Full, Partial, Unsatisfiable};

    fn part(start: u64, end: u64) -> RangeOutcome {
        Partial(ByteRange { start, end })
    }

    #[test]
    fn closed_open_and_suffix_ranges() {
        assert_eq!(parse("bytes=0-0", 10), part(0, 0));
        assert_eq!(parse("bytes=2-5", 10), part(2, 5));
        assert_eq!(parse("bytes=2-50", 10), part(2, 9));
        assert_eq!(parse("bytes=7-", 10), part(7, 9));
        assert_eq!(parse("bytes=-3", 10), part(7, 9));
        assert_eq!(parse("bytes=-30", 10), part(0, 9));
        assert_eq!(parse("BYTES=1-1", 10), part(1, 1));
        assert_eq!(parse(" bytes= 4-5 ", 10), part(4, 5));
        assert_eq!(parse("bytes=9-99999999999999999999999", 10), part(9, 9));
        assert_eq!(parse("bytes=-99999999999999999999999", 10), part(0, 9));
        assert_eq!(part(2, 5), Partial(ByteRange { start: 2, end: 5 }));
        assert_eq!(ByteRange { start: 2, end: 5 }.len(), 4);
    }

    #[test]
    fn past_the_end_is_unsatisfiable() {
        assert_eq!(parse("bytes=10-", 10), Unsatisfiable);
        assert_eq!(parse("bytes=10-20", 10), Unsatisfiable);
        assert_eq!(parse("bytes=-0", 10), Unsatisfiable);
        assert_eq!(parse("bytes=99999999999999999999999-", 10), Unsatisfiable);
    }

    #[test]
    fn invalid_or_multiple_ranges_are_ignored() {
        for v in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=a-b",
            "bytes=5-2",
            "bytes=1-2-3",
            "bytes=+1-2",
            "bytes=1 -2",
            "items=0-1",
            "bytes=0-1,3-4",
            "bytes=0-1, -2",
            "bytes=0x1-2",
            "bytes=--1",
        ] {
            assert_eq!(parse(v, 10), Full, "{v:?}");
        }
        assert_eq!(parse("bytes=0-1, ", 10), part(0, 1));
    }

    #[test]
    fn empty_files_ignore_ranges() {
        assert_eq!(parse("bytes=0-", 0), Full);
        assert_eq!(parse("bytes=-1", 0), Full);
    }
}
