//! The one way SafeGrid writes CSV: every cell that a spreadsheet would read as a formula
//! (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with a single
//! quote, as OWASP recommends against CSV injection, unless it is a plain number (`-12.5`,
//! `+3`), which stays a number. Quoting of commas, quotes and line breaks is the csv crate's.

use std::borrow::Cow;
use std::io::Write;

/// `cell` as a spreadsheet may open it safely.
///
/// ```
/// use server::csv_export::neutralise;
/// assert_eq!(neutralise("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
/// assert_eq!(neutralise("-12.5"), "-12.5");
/// assert_eq!(neutralise("东大街"), "东大街");
/// ```
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_number(cell) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// A decimal number as written by Rust or typed by a person: optional sign, digits, an
/// optional fraction and exponent. No spaces, no formula can hide in it.
fn is_number(cell: &str) -> bool {
    let body = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !(int.is_empty() && frac.is_empty())
        && digits(int)
        && digits(frac)
        && exponent.is_none_or(|e| !e.is_empty() && digits(e))
}

/// A CSV writer whose every cell goes through [`neutralise`].
pub struct SafeCsv<W: Write>(csv::Writer<W>);

impl<W: Write> SafeCsv<W> {
    /// A writer over `out`.
    pub fn new(out: W) -> SafeCsv<W> {
        SafeCsv(csv::Writer::from_writer(out))
    }

    /// Writes one row.
    pub fn row<I, S>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.0.write_record(cells.into_iter().map(|c| neutralise(c.as_ref()).into_owned()))
    }

    /// Flushes and returns the output.
    pub fn into_inner(self) -> Result<W, csv::Error> {
        self.0.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }

    /// Flushes buffered rows.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        for risky in [
            "=1+1",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\r=1",
            "=HYPERLINK(\"a\",\"b\")",
            "-",
            "+",
            "-e5",
            "1e5=1",
        ] {
            let out = neutralise(risky);
            assert!(
                out.starts_with('\'') || !risky.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{risky:?} → {out:?}"
            );
        }
        for number in ["-12.5", "+3", "-0.000001", "-1e-7", "-3.5E+10", "-.5", "-5."] {
            assert_eq!(neutralise(number), number);
        }
        for plain in ["", "103.63", "东大街", "a=b", "2026-12-01T00:00:00Z", "x@y"] {
            assert_eq!(neutralise(plain), plain);
        }
    }

    #[test]
    fn rows_are_neutralised_and_quoted() {
        let mut w = SafeCsv::new(Vec::new());
        w.row(["=HYPERLINK(\"http://evil\",\"x\")", "-12.5", "a,b"]).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text, "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",-12.5,\"a,b\"\n");
    }
}
