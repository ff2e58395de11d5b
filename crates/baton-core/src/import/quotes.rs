//! Finding bad quoting in a CSV file.
//!
//! A CSV reader that meets the end of the file inside a quoted value ends
//! the value there without complaint, so one missing `"` silently turns
//! every row after it into part of one value; and it appends whatever
//! follows a closing quote to the value, so `"ann@acme.io"x` becomes
//! `ann@acme.iox`. [`QuoteCheck`] watches the bytes on their way to the
//! reader and tells where either happened, and [`resume_after_unclosed_quote`]
//! reads the lines a quote never closed swallowed again, as rows.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::ops::Range;

/// A reader that passes bytes through unchanged while following CSV
/// quoting: a `"` at the start of a value opens it, `""` inside is a quote,
/// and a lone `"` closes it (a `"` elsewhere is an ordinary character).
pub struct QuoteCheck<R> {
    inner: R,
    delimiter: u8,
    /// 1-based line of the byte being read.
    line: u64,
    /// The line the watched bytes start on: 1, or further on for the rest
    /// of a file read again.
    first_line: u64,
    at_value_start: bool,
    in_quotes: bool,
    /// A `"` inside quotes whose next byte tells whether it closes.
    quote_pending: bool,
    opened_on: u64,
    /// The bytes after the quote still open, dropped once it closes.
    quoted: Vec<u8>,
    /// Just after a closing quote, before the value's end.
    after_closing_quote: bool,
    /// Lines where something other than spaces follows a closing quote,
    /// with the line that quote opened on.
    stray_lines: BTreeMap<u64, u64>,
    at_end: bool,
    /// Where each `\n` is, counted in bytes from the start, and each `\r`
    /// or `\n`: to tell the line a record starts on (see [`line_of`]).
    newlines: Vec<u64>,
    line_ends: Vec<u64>,
    /// Bytes passed through so far.
    offset: u64,
}

impl<R: Read> QuoteCheck<R> {
    /// Watches `inner`, a CSV file whose values are separated by `delimiter`.
    pub fn new(inner: R, delimiter: u8) -> QuoteCheck<R> {
        QuoteCheck {
            inner,
            delimiter,
            line: 1,
            first_line: 1,
            at_value_start: true,
            in_quotes: false,
            quote_pending: false,
            opened_on: 0,
            quoted: Vec::new(),
            after_closing_quote: false,
            stray_lines: BTreeMap::new(),
            at_end: false,
            newlines: Vec::new(),
            line_ends: Vec::new(),
            offset: 0,
        }
    }

    /// The 1-based line of a record the CSV reader places at `offset`. It
    /// places a record just after the end of the one before, which after
    /// `\r\n` or a blank line is a line end, and its own line count is short
    /// there: the record starts at the first byte after `offset` that ends
    /// no line.
    pub fn line_at(&self, offset: u64) -> u64 {
        let mut start = offset;
        let mut end = self.line_ends.partition_point(|at| *at < start);
        while self.line_ends.get(end) == Some(&start) {
            start += 1;
            end += 1;
        }
        self.first_line + self.newlines.partition_point(|at| *at < start) as u64
    }

    /// The first line among `lines` where a closing quote is followed by
    /// something other than spaces before the value ends, with the line
    /// that quote opened on.
    pub fn stray_after_quote(&self, lines: Range<u64>) -> Option<(u64, u64)> {
        self.stray_lines
            .range(lines)
            .next()
            .map(|(line, opened)| (*line, *opened))
    }

    /// Once the whole file has been read: the line where a quote opened
    /// that was never closed.
    pub fn unclosed_quote(&self) -> Option<u64> {
        (self.at_end && self.in_quotes && !self.quote_pending).then_some(self.opened_on)
    }

    fn follow(&mut self, byte: u8) {
        if self.in_quotes {
            self.quoted.push(byte);
            if self.quote_pending {
                self.quote_pending = false;
                if byte == b'"' {
                    return;
                }
                self.in_quotes = false;
                self.quoted.clear();
                self.after_closing_quote = true;
            } else {
                if byte == b'"' {
                    self.quote_pending = true;
                } else if byte == b'\n' {
                    self.line += 1;
                }
                return;
            }
        }
        let ends_value = byte == self.delimiter || byte == b'\n' || byte == b'\r';
        if self.after_closing_quote && !ends_value && byte != b' ' && byte != b'\t' {
            self.stray_lines.entry(self.line).or_insert(self.opened_on);
        }
        self.after_closing_quote &= !ends_value;
        if byte == b'\n' {
            self.line += 1;
        }
        if self.at_value_start && byte == b'"' {
            self.in_quotes = true;
            self.opened_on = self.line;
            self.quoted.clear();
        }
        self.at_value_start = ends_value;
    }
}

/// A file being read, or the rest of it read again after a quote that
/// never closed.
pub enum Resumable<R> {
    File(R),
    Rest(Cursor<Vec<u8>>),
}

impl<R: Read> Read for Resumable<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Resumable::File(file) => file.read(buf),
            Resumable::Rest(rest) => rest.read(buf),
        }
    }
}

/// When the record just read holds a quote that never closed, and so ran
/// to the end of the file: what to say about its row. The lines after the
/// one the quote opened on were swallowed into it; `csv` goes on over them
/// as rows (no header), read by `builder`, so that only that row is lost.
pub fn resume_after_unclosed_quote<R: Read>(
    csv: &mut csv::Reader<QuoteCheck<Resumable<R>>>,
    builder: &csv::ReaderBuilder,
) -> Option<String> {
    let check = csv.get_mut();
    let opened = check.unclosed_quote()?;
    let quoted = std::mem::take(&mut check.quoted);
    let delimiter = check.delimiter;
    let swallowed = quoted
        .iter()
        .position(|byte| *byte == b'\n')
        .filter(|line_end| !quoted[line_end + 1..].trim_ascii().is_empty());
    let Some(line_end) = swallowed else {
        return Some(format!(
            "a quote opened on line {opened} is never closed: close it (a quote inside a \
             quoted value is written twice, \"\")"
        ));
    };
    let mut rest = QuoteCheck::new(
        Resumable::Rest(Cursor::new(quoted[line_end + 1..].to_vec())),
        delimiter,
    );
    rest.line = opened + 1;
    rest.first_line = opened + 1;
    *csv = builder.from_reader(rest);
    Some(format!(
        "a quote opened on line {opened} is never closed, so this row ran on to the end of the \
         file: it is left out and the lines after it are read again; close the quote (a quote \
         inside a quoted value is written twice, \"\")"
    ))
}

/// The line where a record at `position` of `csv` starts, whatever its
/// line endings.
pub fn line_of<R: Read>(csv: &csv::Reader<QuoteCheck<R>>, position: &csv::Position) -> u64 {
    csv.get_ref().line_at(position.byte())
}

impl<R: Read> Read for QuoteCheck<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        if read == 0 && !buf.is_empty() {
            self.at_end = true;
        }
        for &byte in &buf[..read] {
            if byte == b'\n' {
                self.newlines.push(self.offset);
            }
            if byte == b'\n' || byte == b'\r' {
                self.line_ends.push(self.offset);
            }
            self.offset += 1;
            self.follow(byte);
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads all of `csv` through the check, a few bytes at a time so that
    /// quotes fall across reads.
    fn unclosed(csv: &str) -> Option<u64> {
        let mut check = QuoteCheck::new(csv.as_bytes(), b',');
        let mut buf = [0; 3];
        while check.read(&mut buf).unwrap() > 0 {}
        check.unclosed_quote()
    }

    #[test]
    fn closed_and_escaped_quotes_are_fine() {
        assert_eq!(unclosed("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n"), None);
        assert_eq!(unclosed("a\n\"two\nlines\"\n"), None);
        assert_eq!(unclosed("a,b\n\"ends at the end\""), None);
        assert_eq!(unclosed("a,b\n\"\"\"\"\n"), None, "a value of one quote");
    }

    #[test]
    fn a_quote_inside_an_unquoted_value_is_a_character() {
        assert_eq!(unclosed("size,note\n5\" screen,ok\n"), None);
    }

    #[test]
    fn the_line_of_a_quote_never_closed_is_told() {
        assert_eq!(unclosed("a,b\nx,\"open\ny,z\n"), Some(2));
        assert_eq!(
            unclosed("a,b\r\nx,y\r\n\"open, \"\"still\"\" open\r\n"),
            Some(3)
        );
        assert_eq!(
            unclosed("a;b\nx;\"open\n"),
            None,
            "`;` is no delimiter here"
        );
    }

    #[test]
    fn what_follows_a_closing_quote_is_told_by_line() {
        let mut check = QuoteCheck::new(
            "a,b\n\"x\" ,\"y\"\n\"ann@acme.io\"junk,z\n\"two\nlines\"x,\"\"\"\"\n".as_bytes(),
            b',',
        );
        std::io::copy(&mut check, &mut std::io::sink()).unwrap();
        assert_eq!(check.stray_after_quote(1..3), None, "spaces are allowed");
        assert_eq!(check.stray_after_quote(3..4), Some((3, 3)));
        assert_eq!(
            check.stray_after_quote(4..6),
            Some((5, 4)),
            "opened a line before"
        );
        assert_eq!(check.unclosed_quote(), None);
    }

    #[test]
    fn nothing_is_told_before_the_end() {
        let mut check = QuoteCheck::new("a,\"open".as_bytes(), b',');
        let mut buf = [0; 64];
        assert_eq!(check.read(&mut buf).unwrap(), 7);
        assert_eq!(check.unclosed_quote(), None);
        assert_eq!(check.read(&mut buf).unwrap(), 0);
        assert_eq!(check.unclosed_quote(), Some(1));
    }
}
