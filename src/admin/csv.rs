//! CSV for people's spreadsheets: RFC 4180 quoting, and the defusing of formula injection — a cell
//! that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading `'`, so
//! Excel, WPS and LibreOffice show it as text instead of running it (OWASP "CSV injection"). Our own
//! importer strips that `'` again ([`undefuse`]), so an export re-imports unchanged.

/// The characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `s` with a leading `'` when a spreadsheet would read it as a formula.
pub fn defuse(s: &str) -> String {
    if s.starts_with(TRIGGERS) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The value of a cell written by [`defuse`]: the leading `'` goes when a trigger follows it.
pub fn undefuse(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(TRIGGERS) => rest,
        _ => s,
    }
}

/// One cell: defused, then quoted when it holds a comma, a quote or a line break.
pub fn cell(s: &str) -> String {
    let s = defuse(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One line of cells (without the line end).
pub fn line<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    cells.into_iter().map(cell).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_come_back() {
        for bad in ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx"] {
            let d = defuse(bad);
            assert!(d.starts_with('\''), "{bad:?}");
            assert_eq!(undefuse(&d), bad);
        }
        assert_eq!(defuse("zhangsan"), "zhangsan");
        assert_eq!(undefuse("'quoted"), "'quoted");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(line(["a", "=b"]), "a,'=b");
    }
}
