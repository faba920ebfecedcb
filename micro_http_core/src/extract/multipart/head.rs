//! The header side of `multipart/form-data` (RFC 7578): the boundary from the request's `Content-Type`, and each
//! part's own head (`Content-Disposition` name and file name, `Content-Type`).

use percent_encoding::percent_decode_str;

/// The longest boundary accepted. RFC 2046 allows 70 characters; some clients send a little more.
pub(super) const MAX_BOUNDARY: usize = 200;

/// The most header fields one part may carry (browsers send two or three).
pub(super) const MAX_PART_FIELDS: usize = 16;

/// The boundary of a `multipart/form-data; boundary=...` content type; `None` for another type or a missing,
/// empty, too long or non-printable boundary.
pub(super) fn boundary(content_type: &str) -> Option<String> {
    let (essence, params) = content_type.split_once(';').unwrap_or((content_type, ""));
    if !essence.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = parameters(params)
        .find_map(|(name, value)| name.eq_ignore_ascii_case("boundary").then_some(value))?;
    let printable = boundary.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    (printable && !boundary.is_empty() && boundary.len() <= MAX_BOUNDARY).then_some(boundary)
}

/// What a part's head says about it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct PartHead {
    pub(super) name: Option<String>,
    pub(super) file_name: Option<String>,
    pub(super) content_type: Option<String>,
}

impl PartHead {
    /// Reads the fields httparse found in a part's head. Unknown fields are ignored; a repeated one keeps its
    /// first value.
    pub(super) fn from_fields(fields: &[httparse::Header<'_>]) -> PartHead {
        let mut head = PartHead::default();
        let mut disposition_seen = false;
        for field in fields {
            let value = String::from_utf8_lossy(field.value);
            if field.name.eq_ignore_ascii_case("content-disposition") && !disposition_seen {
                disposition_seen = true;
                head.read_disposition(&value);
            } else if field.name.eq_ignore_ascii_case("content-type") && head.content_type.is_none()
            {
                head.content_type = Some(value.trim().to_string());
            }
        }
        head
    }

    /// `form-data; name="field"; filename="a.txt"` (an RFC 5987 `filename*` wins over `filename`).
    fn read_disposition(&mut self, value: &str) {
        let params = value.split_once(';').map_or("", |(_, params)| params);
        let mut extended = None;
        for (name, value) in parameters(params) {
            if name.eq_ignore_ascii_case("name") && self.name.is_none() {
                self.name = Some(value);
            } else if name.eq_ignore_ascii_case("filename") && self.file_name.is_none() {
                self.file_name = Some(value);
            } else if name.eq_ignore_ascii_case("filename*") && extended.is_none() {
                extended = decode_extended(&value);
            }
        }
        if extended.is_some() {
            self.file_name = extended;
        }
    }
}

/// The `name=value` parameters after a media type or disposition type, values unquoted. A segment without `=`
/// is skipped; an unterminated quoted string ends the list (what came before it is kept).
fn parameters(params: &str) -> impl Iterator<Item = (&str, String)> {
    let mut rest = params;
    std::iter::from_fn(move || loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(['=', ';']).unwrap_or(rest.len());
        if !rest[end..].starts_with('=') {
            rest = &rest[end..];
            continue;
        }
        let name = rest[..end].trim();
        let after = rest[end + 1..].trim_start_matches([' ', '\t']);
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => unquote(quoted)?,
            None => {
                let end = after.find(';').unwrap_or(after.len());
                (after[..end].trim_end().to_string(), &after[end..])
            }
        };
        rest = tail;
        if !name.is_empty() && !name.contains(['"', ' ', '\t']) {
            return Some((name, value));
        }
    })
}

/// The content of a quoted string whose opening quote is already gone, and what follows its closing quote.
///
/// A backslash escapes only `"` and `\`: browsers send file names with a literal backslash unescaped (the
/// HTML standard has them percent-encode `"`, CR and LF instead), so `a\b.txt` stays `a\b.txt`.
fn unquote(quoted: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, &quoted[i + 1..])),
            '\\' if matches!(quoted[i + 1..].chars().next(), Some('"' | '\\')) => {
                value.extend(chars.next().map(|(_, escaped)| escaped));
            }
            c => value.push(c),
        }
    }
    None
}

/// An RFC 8187 extended value, `UTF-8'lang'percent%20encoded`; `None` for another charset or invalid UTF-8.
fn decode_extended(value: &str) -> Option<String> {
    let mut pieces = value.splitn(3, '\'');
    let charset = pieces.next()?;
    let _language = pieces.next()?;
    let encoded = pieces.next()?;
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    percent_decode_str(encoded)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(fields: &[(&str, &str)]) -> PartHead {
        let fields: Vec<_> = fields
            .iter()
            .map(|(name, value)| httparse::Header {
                name,
                value: value.as_bytes(),
            })
            .collect();
        PartHead::from_fields(&fields)
    }

    #[test]
    fn boundary_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=XYZ").as_deref(),
            Some("XYZ")
        );
        assert_eq!(
            boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b:c\"").as_deref(),
            Some("a b:c")
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW")
                .as_deref(),
            Some("----WebKitFormBoundary7MA4YWxkTrZu0gW")
        );
        for refused in [
            "multipart/mixed; boundary=X",
            "text/plain; boundary=X",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=\"\"",
            "multipart/form-data; boundary=\"unterminated",
            "multipart/form-data; boundary=a\u{7f}b",
        ] {
            assert_eq!(boundary(refused), None, "{refused}");
        }
        assert_eq!(
            boundary(&format!(
                "multipart/form-data; boundary={}",
                "x".repeat(MAX_BOUNDARY)
            ))
            .map(|b| b.len()),
            Some(MAX_BOUNDARY)
        );
        assert_eq!(
            boundary(&format!(
                "multipart/form-data; boundary={}",
                "x".repeat(MAX_BOUNDARY + 1)
            )),
            None
        );
    }

    #[test]
    fn name_file_name_and_type_of_a_part() {
        let head = part(&[
            (
                "Content-Disposition",
                "form-data; name=\"file1\"; filename=\"a \\\"q\\\" \\\\ b.txt\"",
            ),
            ("content-type", " text/plain "),
        ]);
        assert_eq!(head.name.as_deref(), Some("file1"));
        assert_eq!(head.file_name.as_deref(), Some("a \"q\" \\ b.txt"));
        assert_eq!(head.content_type.as_deref(), Some("text/plain"));

        let head = part(&[(
            "CONTENT-DISPOSITION",
            "form-data;name=plain;filename=C:\\dir\\x.txt",
        )]);
        assert_eq!(head.name.as_deref(), Some("plain"));
        assert_eq!(head.file_name.as_deref(), Some("C:\\dir\\x.txt"));
        assert_eq!(head.content_type, None);
    }

    #[test]
    fn a_browser_file_name_keeps_its_backslashes_and_percent_escapes() {
        let head = part(&[(
            "Content-Disposition",
            "form-data; name=\"f\"; filename=\"a\\b%22c.txt\"",
        )]);
        assert_eq!(head.file_name.as_deref(), Some("a\\b%22c.txt"));
    }

    #[test]
    fn extended_file_name_wins() {
        let head = part(&[(
            "Content-Disposition",
            "form-data; name=\"f\"; filename*=UTF-8''na%C3%AFve%20file.txt; filename=\"naive.txt\"",
        )]);
        assert_eq!(head.file_name.as_deref(), Some("naïve file.txt"));
        let head = part(&[(
            "Content-Disposition",
            "form-data; name=f; filename=\"x\"; filename*=latin1''%E9",
        )]);
        assert_eq!(head.file_name.as_deref(), Some("x"));
    }

    #[test]
    fn malformed_dispositions_keep_what_parsed() {
        assert_eq!(part(&[]), PartHead::default());
        assert_eq!(part(&[("Content-Disposition", "form-data")]).name, None);
        assert_eq!(
            part(&[("Content-Disposition", "form-data; name=\"open")]).name,
            None
        );
        let head = part(&[(
            "Content-Disposition",
            "form-data; name=\"a\"; garbage; filename=\"b\"",
        )]);
        assert_eq!(head.name.as_deref(), Some("a"));
        assert_eq!(head.file_name.as_deref(), Some("b"));
        let head = part(&[("Content-Disposition", "form-data; name=\"a\"; filename=\"b")]);
        assert_eq!(head.name.as_deref(), Some("a"));
        assert_eq!(head.file_name, None);
        let head = part(&[("Content-Disposition", "form-data; name=\"\u{e9}t\u{e9}\"")]);
        assert_eq!(head.name.as_deref(), Some("\u{e9}t\u{e9}"));
    }

    #[test]
    fn first_of_repeated_fields_counts() {
        let head = part(&[
            ("Content-Disposition", "form-data; name=\"first\""),
            ("Content-Disposition", "form-data; name=\"second\""),
            ("Content-Type", "a/b"),
            ("Content-Type", "c/d"),
        ]);
        assert_eq!(head.name.as_deref(), Some("first"));
        assert_eq!(head.content_type.as_deref(), Some("a/b"));
    }
}
