//! CSV for people's spreadsheets: RFC 4180 quoting (the `csv` crate), and the defusing of formula
//! injection, which no CSV library does for us — a cell
//! that starts with `=`, `+`, `-`, `@` (or their full-width forms `＝＋－＠`, which WPS and Excel
//! in Chinese input read the same way), a tab or a carriage return, also after leading whitespace
//! (spaces, tabs, line breaks, Unicode spaces such as U+3000, zero-width spaces: spreadsheets skip
//! them before looking for a formula), is written with a leading `'`, so Excel, WPS and LibreOffice
//! show it as text instead of running it (OWASP "CSV injection"). Our own importer strips that `'`
//! again ([`undefuse`]), so an export re-imports unchanged.

/// The characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// What a spreadsheet skips before looking for a formula's first character.
fn blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}' | '\u{FEFF}')
}

/// Whether a spreadsheet would read `s` as a formula.
fn needs_defusing(s: &str) -> bool {
    s.starts_with(TRIGGERS) || s.trim_start_matches(blank).starts_with(TRIGGERS)
}

/// `s` with a leading `'` when a spreadsheet would read it as a formula.
pub fn defuse(s: &str) -> String {
    if needs_defusing(s) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The value of a cell written by [`defuse`]: the leading `'` goes when a trigger follows it.
pub fn undefuse(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if needs_defusing(rest) => rest,
        _ => s,
    }
}

/// One cell: defused, then quoted when it holds a comma, a quote or a line break.
pub fn cell(s: &str) -> String {
    line([s])
}

/// One line of cells (without the line end): each cell defused, then written by the `csv` crate,
/// which quotes a cell holding a comma, a quote or a line break and doubles its quotes.
pub fn line<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    match write(cells) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        // Unreachable in practice: the writer's only errors are its sink's I/O errors and records
        // of uneven length (flexible here), and the sink is memory.
        Err(e) => {
            tracing::error!(error = %e, "writing a CSV line failed");
            String::new()
        }
    }
}

fn write<'a>(cells: impl IntoIterator<Item = &'a str>) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for c in cells {
        w.write_field(defuse(c))?;
    }
    // The writer closes a quoted cell only when the record ends: end it, then drop the line end.
    w.write_record(None::<&[u8]>)?;
    let mut bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    Ok(bytes)
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
        assert_eq!(line(["", "x", ""]), ",x,", "empty cells stay empty");
        assert_eq!(line(["a\r\nb", "c"]), "\"a\r\nb\",c");
    }

    #[test]
    fn formulas_after_whitespace_and_full_width_are_defused() {
        for bad in [
            " =1+1",
            "  +1",
            "\t-2",
            "\r\n@SUM(A1)",
            "\n=cmd",
            "\u{3000}=1",
            "\u{00A0}-1",
            "\u{2003}@x",
            "\u{200B}=1",
            "\u{FEFF}+1",
            "＝1+1",
            "＋86",
            "－2",
            "＠SUM(A1)",
            " ＝1",
            "\u{3000}＠x",
        ] {
            let d = defuse(bad);
            assert!(d.starts_with('\''), "{bad:?}");
            assert_eq!(undefuse(&d), bad, "{bad:?} comes back");
        }
        for fine in [
            " zhangsan",
            "张 三",
            "a=b",
            "x-1",
            "\u{3000}名字",
            "1＋1",
            "",
        ] {
            assert_eq!(defuse(fine), fine, "{fine:?}");
        }
        assert_eq!(undefuse("' x"), "' x", "a quote before plain text stays");
    }
}
