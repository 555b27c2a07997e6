//! The words a fan-out of back-channel logout calls keeps per target (a SAML app, an OIDC
//! client): a target told several times keeps its worst word, and the audit row maps each target
//! to its word. Each protocol has its own words; the keeping is one.

use std::collections::BTreeMap;

/// One target's outcome as the audit row says it.
pub trait Word {
    /// The audit word (`confirmed`, `failed (why)`, …).
    fn word(&self) -> String;
    /// How bad it is: a target keeps its highest.
    fn rank(&self) -> u8;
}

/// Of two words for one target, the one that says less was done (the earlier on a tie).
pub fn worst<W: Word>(had: W, told: W) -> W {
    if had.rank() >= told.rank() {
        had
    } else {
        told
    }
}

/// Adds `told` to `key`'s word in `out`, keeping the worst.
pub fn merge<W: Word>(out: &mut BTreeMap<String, W>, key: String, told: W) {
    let word = match out.remove(&key) {
        Some(had) => worst(had, told),
        None => told,
    };
    out.insert(key, word);
}

/// The audit value: each target's word.
pub fn audit_value<W: Word>(told: &BTreeMap<String, W>) -> serde_json::Value {
    serde_json::Value::Object(
        told.iter()
            .map(|(key, t)| (key.clone(), serde_json::Value::String(t.word())))
            .collect(),
    )
}
