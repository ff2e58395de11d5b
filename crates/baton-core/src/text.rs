//! Text cut to fit a narrow place: a chart's label, a line of a list.

/// `text` as it is when it has at most `max_chars` characters; otherwise
/// its start cut with an ellipsis, `max_chars` characters in all at most.
pub fn shortened(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_with_an_ellipsis_and_short_text_kept() {
        assert_eq!(shortened("Hunters", 7), "Hunters");
        assert_eq!(shortened("Qualification and more", 14), "Qualification…");
        assert_eq!(shortened("Farmers (existing)", 9), "Farmers…");
        assert_eq!(shortened("héllo wörld", 6).chars().count(), 6);
    }
}
