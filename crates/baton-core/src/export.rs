//! Writing tables out as CSV (RFC 4180), the one form every report and
//! page exports to.

/// One CSV record without its line ending: each cell as [`csv_cell`]
/// writes it, joined by commas.
pub fn csv_record<S: AsRef<str>>(cells: &[S]) -> String {
    cells
        .iter()
        .map(|cell| csv_cell(cell.as_ref()))
        .collect::<Vec<_>>()
        .join(",")
}

/// A value as a CSV field: quoted when it holds a comma, quote or line
/// break, with quotes doubled. Text a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, a tab or a carriage return first) is prefixed with
/// `'`, since names, titles and sources come from outside; numbers and phone
/// numbers stay as they are.
pub fn csv_cell(value: &str) -> String {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r'])
        && value.parse::<f64>().is_err()
        && !value
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let value = if formula {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
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

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("@SUM(1+1)"), "'@SUM(1+1)");
        assert_eq!(csv_cell("+1 415 555 0100"), "+1 415 555 0100");
        assert_eq!(csv_cell("-12.50"), "-12.50");
        assert_eq!(csv_record(&["a", "=1+1"]), "a,'=1+1");
    }
}
