//! The scopes this provider knows (`openid profile email phone groups`) and a request's set of
//! them. An unknown scope in a request is ignored, as OpenID Connect Core §3.1.2.1 allows.

use serde::{Deserialize, Serialize};

/// A scope this provider gives claims for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// `openid`: an OpenID Connect request (`sub`).
    Openid,
    /// `profile`: `name`, `preferred_username`.
    Profile,
    /// `email`: `email` when the app releases it.
    Email,
    /// `phone`: `phone_number` when the app releases it.
    Phone,
    /// `groups`: `groups`/`roles` from the role rules, department names.
    Groups,
}

impl Scope {
    /// Every scope, in the order discovery names them.
    pub const ALL: [Scope; 5] = [
        Self::Openid,
        Self::Profile,
        Self::Email,
        Self::Phone,
        Self::Groups,
    ];

    /// The scope's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openid => "openid",
            Self::Profile => "profile",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Groups => "groups",
        }
    }

    /// The scope called `s`, if this provider knows it.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A set of scopes, sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// Every known scope.
    pub fn all() -> Self {
        Self(Scope::ALL.to_vec())
    }

    /// The known scopes of a space-separated list (unknown ones left out).
    pub fn parse_known(list: &str) -> Self {
        Self::from_iter(list.split_ascii_whitespace().filter_map(Scope::parse))
    }

    /// The scopes of an administrator's list (spaces or commas); an unknown name is an error
    /// naming the ones that exist.
    pub fn parse_strict(list: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for s in list.split([' ', ',']).filter(|s| !s.is_empty()) {
            match Scope::parse(s) {
                Some(x) => out.push(x),
                None => {
                    return Err(format!(
                    "`{s}` is not a scope this provider knows (openid profile email phone groups)"
                ))
                }
            }
        }
        Ok(Self::from_iter(out))
    }

    /// Whether `s` is in the set.
    pub fn has(&self, s: Scope) -> bool {
        self.0.contains(&s)
    }

    /// The scopes of `self` that `allowed` has too.
    pub fn within(&self, allowed: &Scopes) -> Self {
        Self::from_iter(self.0.iter().copied().filter(|s| allowed.has(*s)))
    }

    /// The space-separated list (`scope` in a token response).
    pub fn to_wire(&self) -> String {
        self.0
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut v: Vec<Scope> = iter.into_iter().collect();
        v.sort();
        v.dedup();
        Self(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_ignore_unknown_scopes_and_admins_are_told() {
        let s = Scopes::parse_known("openid  email offline_access openid");
        assert_eq!(s.to_wire(), "openid email");
        assert!(Scopes::parse_strict("openid,profile").is_ok());
        assert!(Scopes::parse_strict("openid address")
            .unwrap_err()
            .contains("address"));
        let allowed = Scopes::parse_known("openid profile");
        assert_eq!(s.within(&allowed).to_wire(), "openid");
    }
}
