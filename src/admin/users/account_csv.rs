//! The account directory's CSV file (`user import` / `user export`, console and API): the header,
//! one line per account, and the parser that checks every line before anything is imported.
//! Values a spreadsheet would run as formulas are defused on the way out and restored on the way
//! in ([`crate::admin::csv`]).

use crate::identity::directory::{check_username, AccountId, AccountStatus};
use crate::store::AccountRow;

/// The CSV header of `user import` / `user export`.
pub const CSV_HEADER: &str = "username,display_name,email,mobile,employee_no,status";

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Parses an import file (each line RFC 4180, so a quoted cell may hold a comma): every line is
/// checked first; any error (with its line number) means nothing is imported. `new_id` gives an ID
/// per row (used only for new accounts).
pub fn parse_csv(
    text: &str,
    now: i64,
    mut new_id: impl FnMut() -> AccountId,
) -> Result<Vec<AccountRow>, Vec<String>> {
    let mut lines = text.lines().enumerate();
    let header = lines
        .next()
        .map(|(_, l)| l.trim().trim_start_matches('\u{feff}'));
    if header != Some(CSV_HEADER) {
        return Err(vec![format!("line 1: the header must be `{CSV_HEADER}`")]);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Line by line (an account never spans lines), so every error names the line it is on.
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let row = cells(line).and_then(|c| {
            // A cell an export defused against formula injection (`'=…`) comes back as it was.
            let c: Vec<&str> = c.iter().map(crate::admin::csv::undefuse).collect();
            account_row(&c, &mut seen)
        });
        match row {
            Ok(row) => rows.push(AccountRow {
                id: new_id().0,
                created_at: now,
                updated_at: now,
                ..row
            }),
            Err(e) => errors.push(format!("line {}: {e}", i + 1)),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// The cells of one line.
fn cells(line: &str) -> Result<::csv::StringRecord, String> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes())
        .records()
        .next()
        .unwrap_or_else(|| Ok(::csv::StringRecord::new()))
        .map_err(|e| e.to_string())
}

/// One line's account (without its ID and times), or what is wrong with it; `seen` holds the
/// usernames of the lines before.
fn account_row(
    cells: &[&str],
    seen: &mut std::collections::HashSet<String>,
) -> Result<AccountRow, String> {
    if cells.len() != 6 {
        return Err(format!("{} cells, expected 6 ({CSV_HEADER})", cells.len()));
    }
    let username = cells[0].trim();
    check_username(username).map_err(|e| e.to_string())?;
    if !seen.insert(username.to_string()) {
        return Err(format!("username `{username}` appears twice"));
    }
    let status = AccountStatus::parse(cells[5]).map_err(|e| e.to_string())?;
    if let Some(email) = opt(cells[2]) {
        if !email.contains('@') {
            return Err(format!("email `{email}` has no @"));
        }
    }
    Ok(AccountRow {
        username: username.to_string(),
        display_name: cells[1].trim().to_string(),
        email: opt(cells[2]),
        mobile: opt(cells[3]),
        employee_no: opt(cells[4]),
        status,
        ..AccountRow::default()
    })
}

/// One CSV line for an account (commas and quotes in values are replaced by spaces so the file
/// stays importable; a value a spreadsheet would run as a formula gets a leading `'`, which
/// [`parse_csv`] strips again — see [`crate::admin::csv`]).
pub fn csv_line(a: &AccountRow) -> String {
    let c = |s: &str| crate::admin::csv::defuse(&s.replace([',', '"', '\n', '\r'], " "));
    let o = |s: &Option<String>| s.as_deref().map(c).unwrap_or_default();
    format!(
        "{},{},{},{},{},{}",
        c(&a.username),
        c(&a.display_name),
        o(&a.email),
        o(&a.mobile),
        o(&a.employee_no),
        a.status
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trip_and_errors() {
        let text = format!("{CSV_HEADER}\nzhangsan,张三,z@example.com,138,E1,active\nlisi,,,,,\n");
        let mut n = 0;
        let rows = parse_csv(&text, 5, || {
            n += 1;
            AccountId::new(&format!("{n}"))
        })
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].status, AccountStatus::Active);
        assert_eq!(
            csv_line(&rows[0]),
            "zhangsan,张三,z@example.com,138,E1,active"
        );
        let bad = format!("{CSV_HEADER}\nok,,,,,\n,x,,,,\nb,,,,,gone\nc,,\nok,,,,,\n");
        let errs = parse_csv(&bad, 0, || AccountId::new("x")).unwrap_err();
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(errs[0].starts_with("line 3:"), "{errs:?}");
        assert!(parse_csv("a,b\n", 0, || AccountId::new("x")).is_err());
        // A spreadsheet quotes a cell with a comma; line numbers count the header.
        let quoted =
            format!("{CSV_HEADER}\r\n\"wang\",\"Wang, Wu\",,,,active\r\n\r\nxy,,nomail,,,\r\n");
        let errs = parse_csv(&quoted, 0, || AccountId::new("x")).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].starts_with("line 4:"), "{errs:?}");
        let rows = parse_csv(&quoted.replace("nomail", ""), 0, || AccountId::new("x")).unwrap();
        assert_eq!(rows[0].display_name, "Wang, Wu");
    }
}
