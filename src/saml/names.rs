//! The XML character and name rules, one function per meaning: the names the strict parser
//! accepts ([`is_ncname`]), the narrower names and IDs the writer emits ([`is_ascii_ncname`]), and
//! the characters XML can carry at all ([`is_xml_char`]).

/// Whether `s` is an NCName (XML name without colon), as the parser reads names. Non-ASCII name
/// characters are accepted when Unicode calls them alphanumeric, which is narrower than XML 1.0
/// 5th edition (fails closed).
pub fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first == '_' || first.is_alphabetic())
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}'))
}

/// The NCNames the writer emits: ASCII letter or `_`, then ASCII letters, digits, `_`, `-`, `.`.
/// Every name we write is a fixed SAML/XML-DSig name and IDs are ours, so non-ASCII is refused.
pub fn is_ascii_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Whether XML 1.0 can carry `c` (the `Char` production).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_names_are_a_subset_of_the_parser_names() {
        for ok in ["Response", "_a1", "ds", "x-y.z"] {
            assert!(is_ncname(ok) && is_ascii_ncname(ok), "{ok}");
        }
        assert!(is_ncname("名字") && !is_ascii_ncname("名字"));
        for bad in ["", "1a", "a:b", "-a", "a b"] {
            assert!(!is_ncname(bad) && !is_ascii_ncname(bad), "{bad}");
        }
        assert!(is_xml_char('\t') && !is_xml_char('\u{0}') && !is_xml_char('\u{FFFE}'));
    }
}
