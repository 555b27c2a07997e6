//! The account directory's domain: account IDs and statuses, how a binding was made, the binding
//! policy (`[binding]`: auto-bind keys, what happens to an unmatched member, where the employee
//! number comes from), bind passwords (argon2id) and one-time codes, and the CSV format of
//! `wecom-idp user import|export`. Time and randomness are parameters.

use crate::store::AccountRow;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// A stable internal account ID (`a-` + 32 hex digits), never reused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountId(pub String);

impl AccountId {
    /// A new ID from 16 random bytes given as hex.
    pub fn new(random_hex: &str) -> Self {
        Self(format!("a-{random_hex}"))
    }
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    /// May sign in.
    Active,
    /// Refused; live sessions end.
    Disabled,
}

impl AccountStatus {
    /// Parses `active` / `disabled` (empty = active).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" | "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            other => Err(format!("status `{other}` must be active or disabled")),
        }
    }

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

/// How a binding was made (stored, and in the audit reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindHow {
    /// Auto-binding matched a key.
    Auto,
    /// The member proved an account on the bind page.
    Manual,
    /// An admin bound it (`wecom-idp user bind`).
    Admin,
    /// The account was provisioned at the member's first login.
    Created,
}

impl BindHow {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Manual => "manual",
            Self::Admin => "admin",
            Self::Created => "created",
        }
    }
}

/// A key auto-binding matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKey {
    /// WeCom userid = account username.
    Userid,
    /// Mobile.
    Mobile,
    /// Email.
    Email,
    /// Employee number (WeCom alias or an extattr).
    EmployeeNo,
}

impl MatchKey {
    /// Parses one entry of `binding.match`.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "userid" => Self::Userid,
            "mobile" => Self::Mobile,
            "email" => Self::Email,
            "employee_no" => Self::EmployeeNo,
            other => {
                return Err(format!(
                    "`{other}` is not a match key: use userid, mobile, email or employee_no"
                ))
            }
        })
    }

    /// The key's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Userid => "userid",
            Self::Mobile => "mobile",
            Self::Email => "email",
            Self::EmployeeNo => "employee_no",
        }
    }
}

/// What happens to a member no account is bound to and auto-binding did not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenUnmatched {
    /// Provision an account from the WeCom profile.
    Create,
    /// Show the bind page: prove an existing account.
    Bind,
    /// The bind page, with "create a new account" too.
    BindOrCreate,
    /// Refuse, naming whom to contact.
    Reject,
}

impl WhenUnmatched {
    /// Parses `binding.when_unmatched`.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "create" => Self::Create,
            "bind" => Self::Bind,
            "bind_or_create" => Self::BindOrCreate,
            "reject" => Self::Reject,
            other => {
                return Err(format!(
                    "`{other}`: use create, bind, bind_or_create or reject"
                ))
            }
        })
    }
}

/// Where the employee number comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmployeeNoFrom {
    /// The WeCom `alias`.
    Alias,
    /// A named custom attribute (`extattr`).
    Extattr(String),
}

impl EmployeeNoFrom {
    /// Parses `alias` or `extattr:NAME`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "alias" => Ok(Self::Alias),
            _ => match s.strip_prefix("extattr:").map(str::trim) {
                Some(name) if !name.is_empty() => Ok(Self::Extattr(name.to_string())),
                _ => Err(format!(
                    "`{s}`: use alias or extattr:NAME (NAME as in the WeCom admin console)"
                )),
            },
        }
    }
}

/// The parsed `[binding]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingPolicy {
    /// Auto-binding on.
    pub auto_bind: bool,
    /// Keys tried in order.
    pub keys: Vec<MatchKey>,
    /// For members still unmatched.
    pub when_unmatched: WhenUnmatched,
    /// Employee number source.
    pub employee_no_from: EmployeeNoFrom,
    /// Whom a refused member should contact.
    pub contact: Option<String>,
}

/// Failed bind passwords before an account is locked.
pub const MAX_PASSWORD_FAILURES: i64 = 5;
/// How long a locked account refuses bind passwords, seconds.
pub const LOCK_SECS: i64 = 15 * 60;
/// Failed proofs one bind page allows before it is used up.
pub const MAX_PAGE_ATTEMPTS: i64 = 10;
/// How long a one-time bind code lives, seconds.
pub const CODE_TTL_SECS: i64 = 24 * 3600;

/// An argon2id hash (PHC string) of a password; `salt` is 16 random bytes.
pub fn hash_password(password: &str, salt: &[u8; 16]) -> Result<String, String> {
    let salt = SaltString::encode_b64(salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether a password matches a stored hash (a corrupt hash never matches).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The stored form of a one-time bind code (codes are random, so a plain hash suffices).
pub fn code_hash(code: &str) -> String {
    crate::crypto::sha256_hex(code.trim().to_ascii_uppercase().as_bytes())
}

/// The CSV header of `user import` / `user export`.
pub const CSV_HEADER: &str = "username,display_name,email,mobile,employee_no,status";

/// A username: 1–64 characters, no control characters, commas or spaces at the ends.
pub fn check_username(u: &str) -> Result<(), String> {
    if u.is_empty() || u.chars().count() > 64 {
        return Err("username must be 1–64 characters".into());
    }
    if u.trim() != u || u.chars().any(|c| c.is_control() || c == ',' || c == '"') {
        return Err(format!(
            "username `{u}` has spaces at an end, a comma, a quote or a control character"
        ));
    }
    Ok(())
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Parses an import file: every line is checked first; any error (with its line number) means
/// nothing is imported. `new_id` gives an ID per row (used only for new accounts).
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
    for (i, line) in lines {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        // A cell an export defused against formula injection (`'=…`) comes back as it was.
        let cells: Vec<&str> = line.split(',').map(crate::admin::csv::undefuse).collect();
        if cells.len() != 6 {
            errors.push(format!(
                "line {n}: {} cells, expected 6 ({CSV_HEADER})",
                cells.len()
            ));
            continue;
        }
        let username = cells[0].trim();
        if let Err(e) = check_username(username) {
            errors.push(format!("line {n}: {e}"));
            continue;
        }
        if !seen.insert(username.to_string()) {
            errors.push(format!("line {n}: username `{username}` appears twice"));
            continue;
        }
        let status = match AccountStatus::parse(cells[5]) {
            Ok(s) => s,
            Err(e) => {
                errors.push(format!("line {n}: {e}"));
                continue;
            }
        };
        if let Some(email) = opt(cells[2]) {
            if !email.contains('@') {
                errors.push(format!("line {n}: email `{email}` has no @"));
                continue;
            }
        }
        rows.push(AccountRow {
            id: new_id().0,
            username: username.to_string(),
            display_name: cells[1].trim().to_string(),
            email: opt(cells[2]),
            mobile: opt(cells[3]),
            employee_no: opt(cells[4]),
            status: status.as_str().into(),
            created_at: now,
            updated_at: now,
            ..AccountRow::default()
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
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

/// The account's groups (`;`-separated in storage).
pub fn groups(a: &AccountRow) -> Vec<String> {
    a.groups
        .split(';')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
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
        assert_eq!(rows[1].status, "active");
        assert_eq!(
            csv_line(&rows[0]),
            "zhangsan,张三,z@example.com,138,E1,active"
        );
        let bad = format!("{CSV_HEADER}\nok,,,,,\n,x,,,,\nb,,,,,gone\nc,,\nok,,,,,\n");
        let errs = parse_csv(&bad, 0, || AccountId::new("x")).unwrap_err();
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(errs[0].starts_with("line 3:"), "{errs:?}");
        assert!(parse_csv("a,b\n", 0, || AccountId::new("x")).is_err());
    }

    #[test]
    fn passwords() {
        let h = hash_password("s3cret pass", &[7; 16]).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret pass", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn policy_words() {
        assert!(MatchKey::parse("phone").is_err());
        assert_eq!(
            WhenUnmatched::parse("bind_or_create"),
            Ok(WhenUnmatched::BindOrCreate)
        );
        assert_eq!(
            EmployeeNoFrom::parse("extattr:工号"),
            Ok(EmployeeNoFrom::Extattr("工号".into()))
        );
        assert!(EmployeeNoFrom::parse("extattr:").is_err());
    }
}
