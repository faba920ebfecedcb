//! Byte sizes written for humans (`"10MiB"`), turned into a number of bytes at compile time.
//! Free of `proc_macro` types so that it unit-tests.

/// The units, lower-case, with their sizes in bytes.
const UNITS: [(&str, u64); 7] = [
    ("b", 1),
    ("kb", 1000),
    ("mb", 1000 * 1000),
    ("gb", 1000 * 1000 * 1000),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
];

const SYNTAX: &str = "write a whole number of bytes, optionally followed by a unit: \
B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024), e.g. \"10MiB\" or \"512 KB\"";

/// Parses `"1024"`, `"10MiB"`, `"512 kb"`, ... into bytes. Units are case-insensitive; one run of spaces may
/// separate the number and the unit.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(digits_end);
    let unit = unit.trim_start();
    if digits.is_empty() {
        return Err(format!("invalid size \"{text}\": {SYNTAX}"));
    }
    let factor = if unit.is_empty() {
        1
    } else {
        match UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
        {
            Some(&(_, factor)) => factor,
            None => {
                return Err(format!(
                    "invalid size \"{text}\": unknown unit `{unit}`; {SYNTAX}"
                ))
            }
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| {
            format!("size \"{text}\" is too large: it must fit in 64 bits (at most 16 EiB)")
        })
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn plain_bytes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("1024B"), Ok(1024));
        assert_eq!(parse_size(" 7 b "), Ok(7));
    }

    #[test]
    fn decimal_units() {
        assert_eq!(parse_size("1KB"), Ok(1000));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert_eq!(parse_size("3gb"), Ok(3_000_000_000));
    }

    #[test]
    fn binary_units_in_any_case_with_or_without_space() {
        assert_eq!(parse_size("1KiB"), Ok(1024));
        assert_eq!(parse_size("10MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("10 MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("10mib"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("2GIB"), Ok(2 << 30));
    }

    #[test]
    fn refuses_garbage_naming_the_fix() {
        for bad in [
            "", "MiB", "ten", "-1", "1.5MiB", "10 XB", "10 Mi B", "0x10", "10MiBs",
        ] {
            let e = parse_size(bad).expect_err(bad);
            assert!(e.contains("KiB, MiB, GiB"), "{bad}: {e}");
        }
    }

    #[test]
    fn refuses_overflow() {
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
        assert!(parse_size("18446744073709551616")
            .unwrap_err()
            .contains("too large"));
        assert!(parse_size("17179869184 GiB")
            .unwrap_err()
            .contains("too large"));
    }
}
