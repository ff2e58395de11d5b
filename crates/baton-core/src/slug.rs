//! Slugs: the short lowercase names stored for open-ended kinds, such as a
//! charter activity type or a marketing channel.

/// Longest slug accepted.
pub const MAX_SLUG_CHARS: usize = 40;

/// Accepts lowercase ASCII letters, digits and `_`, starting with a letter,
/// at most [`MAX_SLUG_CHARS`] long (`cold_call`, `direct_mail`).
pub fn parse_slug(raw: &str) -> Result<String, String> {
    let slug = raw.trim();
    let valid = slug.len() <= MAX_SLUG_CHARS
        && slug.starts_with(|c: char| c.is_ascii_lowercase())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(slug.to_string())
    } else {
        Err(format!(
            "`{raw}` is not a slug: use lowercase letters, digits and _, starting with a letter, at most {MAX_SLUG_CHARS} characters (like cold_call)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_underscores() {
        assert_eq!(parse_slug(" cold_call ").unwrap(), "cold_call");
        assert_eq!(parse_slug("q2_webinar").unwrap(), "q2_webinar");
        for bad in ["Cold_Call", "cold call", "cold-call", "2call", "", "_x"] {
            assert!(parse_slug(bad).unwrap_err().contains("not a slug"), "{bad}");
        }
        assert!(parse_slug(&"a".repeat(MAX_SLUG_CHARS + 1)).is_err());
    }
}
