//! The states rows are in, as enums: the words the tables hold stay inside the store (here and in
//! its SQL), so code above it matches on variants instead of comparing strings.

/// A stored word that is none of the states of its column (a row written by hand, or by a newer
/// version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownState {
    /// The column.
    pub column: &'static str,
    /// The word found.
    pub found: String,
}

impl std::fmt::Display for UnknownState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}` is not a known state", self.column, self.found)
    }
}

impl std::error::Error for UnknownState {}

/// Reads and writes a state enum as its word (a text column) on both databases: binds take the
/// enum, rows decode into it, and an unknown word is a decoding error naming the column.
macro_rules! stored_word {
    ($ty:ty) => {
        impl sqlx::Type<sqlx::Any> for $ty {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <str as sqlx::Type<sqlx::Any>>::type_info()
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $ty {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let word = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(Self::try_from(word)?)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Any>>::encode(self.as_str(), buf)
            }
        }
    };
}

pub(super) use stored_word;

stored_word!(AccountStatus);
stored_word!(KeyState);

/// Whether an account may sign in (`accounts.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountStatus {
    /// May sign in.
    #[default]
    Active,
    /// Refused; live sessions end.
    Disabled,
}

impl AccountStatus {
    /// Parses `active` / `disabled` (empty = active), as an admin types it.
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

impl std::fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for AccountStatus {
    type Error = UnknownState;
    fn try_from(s: String) -> Result<Self, UnknownState> {
        match s.as_str() {
            "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            _ => Err(UnknownState {
                column: "accounts.status",
                found: s,
            }),
        }
    }
}

/// Where a signing key is in its rollover (`signing_keys.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyState {
    /// Published, not yet signing.
    Next,
    /// Signs.
    Active,
    /// Published after a switch, no longer signing.
    Previous,
    /// Gone from the metadata; private key erased.
    Retired,
}

impl KeyState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Previous => "previous",
            Self::Retired => "retired",
        }
    }

    /// Whether the key is in the metadata (SPs trust it).
    pub fn published(self) -> bool {
        !matches!(self, Self::Retired)
    }
}

impl std::fmt::Display for KeyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for KeyState {
    type Error = UnknownState;
    fn try_from(s: String) -> Result<Self, UnknownState> {
        match s.as_str() {
            "next" => Ok(Self::Next),
            "active" => Ok(Self::Active),
            "previous" => Ok(Self::Previous),
            "retired" => Ok(Self::Retired),
            _ => Err(UnknownState {
                column: "signing_keys.state",
                found: s,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_round_trip_and_unknown_ones_are_refused() {
        for s in [AccountStatus::Active, AccountStatus::Disabled] {
            assert_eq!(AccountStatus::try_from(s.as_str().to_string()), Ok(s));
        }
        for s in [
            KeyState::Next,
            KeyState::Active,
            KeyState::Previous,
            KeyState::Retired,
        ] {
            assert_eq!(KeyState::try_from(s.as_str().to_string()), Ok(s));
        }
        assert!(AccountStatus::try_from("Active".to_string()).is_err());
        assert!(AccountStatus::try_from(String::new()).is_err());
        assert!(KeyState::try_from("current".to_string()).is_err());
    }
}
