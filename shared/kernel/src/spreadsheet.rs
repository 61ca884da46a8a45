//! Cells of the CSV files we hand out (exports of records, audit logs).
//! A cell that a spreadsheet would read as a formula — it starts with `=`,
//! `+`, `-`, `@`, a tab or a carriage return — is prefixed with `'`, so a
//! record named `=HYPERLINK("http://evil","click")` arrives as text, never as
//! a live formula (OWASP "CSV Injection"). Our own imports take the prefix
//! off again, so an export re-imports unchanged.

use std::borrow::Cow;

const TRIGGERS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// The cell as it may be written to a file a spreadsheet will open.
pub fn safe_cell(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(TRIGGERS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell read back from such a file: the neutralising `'` removed.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(TRIGGERS) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_become_text_and_come_back() {
        for bad in ["=HYPERLINK(\"http://x\",\"y\")", "+201001234567", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"] {
            let safe = safe_cell(bad);
            assert!(safe.starts_with('\''), "{bad}");
            assert_eq!(restore(&safe), bad);
        }
        for fine in ["Layla", "", "O'Brien", "'quoted", "a=b"] {
            assert_eq!(safe_cell(fine), fine);
            assert_eq!(restore(fine), fine);
        }
    }
}
