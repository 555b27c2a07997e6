//! What this instance knows it already recorded of the session/app pairs it served: a repeated
//! Response of a session to an app with the same NameID then needs no database round trip (the
//! one read a sign-in request starts with stays the only one).
//!
//! Safe to keep without invalidation: a pair's SessionIndex never changes once stored, a deleted
//! session is never found again (its token is random), and a NameID another instance stored since
//! only makes this one write again. Bounded: when full it starts afresh, costing one read per pair.

use std::collections::HashMap;
use std::sync::Mutex;

/// At most this many pairs (a few hundred bytes each).
const CAPACITY: usize = 8192;

/// A session hash and an app.
type Pair = (String, String);

/// `(SessionIndex, NameID, NameID format)` as stored for a pair.
pub(super) type Stored = (String, String, String);

/// What is stored for each pair this instance recorded.
#[derive(Debug, Default)]
pub(super) struct Served {
    pairs: Mutex<HashMap<Pair, Stored>>,
}

impl Served {
    /// The stored SessionIndex of the pair when the NameID and format are the ones known.
    pub(super) fn index(
        &self,
        session: &str,
        app: &str,
        name_id: &str,
        format: &str,
    ) -> Option<String> {
        let pairs = self.pairs.lock().ok()?;
        let (index, n, f) = pairs.get(&(session.to_string(), app.to_string()))?;
        (n == name_id && f == format).then(|| index.clone())
    }

    /// Remembers what is now stored for the pair.
    pub(super) fn remember(&self, session: &str, app: &str, stored: Stored) {
        if let Ok(mut pairs) = self.pairs.lock() {
            if pairs.len() >= CAPACITY {
                pairs.clear();
            }
            pairs.insert((session.to_string(), app.to_string()), stored);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(i: &str, n: &str) -> (String, String, String) {
        (i.into(), n.into(), "fmt".into())
    }

    #[test]
    fn known_only_with_the_same_name_id_and_format() {
        let s = Served::default();
        assert_eq!(s.index("s", "app", "alice", "fmt"), None);
        s.remember("s", "app", stored("_i1", "alice"));
        assert_eq!(s.index("s", "app", "alice", "fmt").as_deref(), Some("_i1"));
        // A new transient NameID or another format goes to the database.
        assert_eq!(s.index("s", "app", "bob", "fmt"), None);
        assert_eq!(s.index("s", "app", "alice", "other"), None);
        assert_eq!(s.index("s", "app2", "alice", "fmt"), None);
        assert_eq!(s.index("s2", "app", "alice", "fmt"), None);
    }

    #[test]
    fn starts_afresh_when_full() {
        let s = Served::default();
        for i in 0..CAPACITY {
            s.remember(&i.to_string(), "app", stored("_i", "alice"));
        }
        assert!(s.index("0", "app", "alice", "fmt").is_some());
        s.remember("new", "app", stored("_n", "alice"));
        assert_eq!(s.index("0", "app", "alice", "fmt"), None);
        assert!(s.index("new", "app", "alice", "fmt").is_some());
    }
}
