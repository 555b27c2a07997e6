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

pub use crate::store::AccountStatus;

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
