//! Writing tables out as CSV (RFC 4180), the one form every report and
//! page exports to.

/// One CSV record without its line ending: cells joined by commas, each
/// quoted when it holds a comma, a quote or a line break, quotes doubled.
pub fn csv_record<S: AsRef<str>>(cells: &[S]) -> String {
    cells
        .iter()
        .map(|cell| {
            let cell = cell.as_ref();
            if cell.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A header and its rows as a CSV document, each record ended by CRLF.
pub fn csv_document<S: AsRef<str>>(header: &[S], rows: &[Vec<String>]) -> String {
    let mut text = csv_record(header) + "\r\n";
    for row in rows {
        text.push_str(&csv_record(row));
        text.push_str("\r\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_with_commas_quotes_or_line_breaks_are_quoted() {
        assert_eq!(
            csv_record(&["plain", "a,b", "say \"hi\"", "two\nlines", ""]),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\","
        );
        assert_eq!(
            csv_document(&["name", "leads"], &[vec!["Acme, Inc.".into(), "3".into()]]),
            "name,leads\r\n\"Acme, Inc.\",3\r\n"
        );
    }
}
