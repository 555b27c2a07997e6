//! RoleSessionName: a member's value (userid by default) made to fit a provider's character set and
//! length, deterministically. A value that already fits is sent as is; any other value keeps its
//! allowed characters (others become `_`), is cut to leave room, and gets `-` and 10 hex digits of
//! SHA-256 of the original value, so two members whose values differ never get the same name
//! (short of a 40-bit hash collision) and the same member always gets the same one.

use crate::crypto::sha256_hex;
use crate::identity::Source;
use serde::{Deserialize, Serialize};

/// Which characters a provider accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charset {
    /// `[\w+=,.@-]` (ASCII word characters): AWS, Tencent.
    WordPlusEqCommaDotAtDash,
    /// `[\w.@-]` (ASCII): Alibaba Cloud, and the providers that follow its rules.
    WordDotAtDash,
}

impl Charset {
    fn allows(self, c: char) -> bool {
        c.is_ascii_alphanumeric()
            || matches!(c, '_' | '.' | '@' | '-')
            || (self == Self::WordPlusEqCommaDotAtDash && matches!(c, '+' | '=' | ','))
    }

    /// The set as a regex-like text for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::WordPlusEqCommaDotAtDash => "[A-Za-z0-9_+=,.@-]",
            Self::WordDotAtDash => "[A-Za-z0-9_.@-]",
        }
    }
}

/// A provider's rule for session names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionNameRule {
    /// `session_name_source`: where the name comes from (userid by default).
    pub source: Source,
    /// Allowed characters.
    pub charset: Charset,
    /// Shortest allowed.
    pub min: usize,
    /// Longest allowed (at least 12, to leave room for the hash suffix).
    pub max: usize,
}

/// Hex digits of the suffix added to a changed name.
const HASH_LEN: usize = 10;

impl SessionNameRule {
    /// A rule with the default source (userid).
    pub fn new(charset: Charset, min: usize, max: usize) -> Self {
        Self {
            source: Source::Userid,
            charset,
            min,
            max: max.max(HASH_LEN + 2),
        }
    }

    /// Fits `raw` to the rule (see the module documentation).
    pub fn fit(&self, raw: &str) -> String {
        let n = raw.chars().count();
        if n >= self.min && n <= self.max && raw.chars().all(|c| self.charset.allows(c)) {
            return raw.to_string();
        }
        let keep = self.max - HASH_LEN - 1;
        let mut out: String = raw
            .chars()
            .map(|c| if self.charset.allows(c) { c } else { '_' })
            .take(keep)
            .collect();
        // Runs of replaced characters say nothing: collapse them.
        while out.contains("__") {
            out = out.replace("__", "_");
        }
        let hash = sha256_hex(raw.as_bytes());
        out.push('-');
        out.push_str(hash.get(..HASH_LEN).unwrap_or(&hash));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_values_are_unchanged() {
        let aws = SessionNameRule::new(Charset::WordPlusEqCommaDotAtDash, 2, 64);
        assert_eq!(aws.fit("zhang.san@corp"), "zhang.san@corp");
        assert_eq!(aws.fit("a+b=c,d"), "a+b=c,d");
    }

    #[test]
    fn others_are_escaped_cut_and_hashed_deterministically() {
        let ali = SessionNameRule::new(Charset::WordDotAtDash, 2, 64);
        let a = ali.fit("张三");
        assert!(a.starts_with("_-") && a.len() == 12, "{a}");
        assert_eq!(a, ali.fit("张三"), "deterministic");
        assert_ne!(a, ali.fit("李四"), "two members, two names");
        assert!(a.chars().all(|c| Charset::WordDotAtDash.allows(c)));
        let b = ali.fit("a+b");
        assert!(b.starts_with("a_b-"), "{b}");
        // Too short.
        let c = ali.fit("x");
        assert!(c.starts_with("x-") && c.len() == 12);
        // Too long for Tencent's 32.
        let tc = SessionNameRule::new(Charset::WordPlusEqCommaDotAtDash, 1, 32);
        let long = "a".repeat(40);
        let d = tc.fit(&long);
        assert_eq!(d.len(), 32);
        assert_ne!(d, tc.fit(&"a".repeat(41)));
        assert_eq!(tc.fit(&"a".repeat(32)), "a".repeat(32));
    }
}
