//! Request-derived values in logs. A value a client (or WeCom, or an admin) chose — an Issuer, a
//! RelayState, a path, a user name typed on a page, an error message that quotes one of those — is
//! logged through [`Escaped`], never raw: the text log is one event per line, and a raw newline in a
//! value would let the sender write a whole forged line (a fake "login succeeded", a fake request
//! ID). [`Escaped`] writes control characters, quotes, backslashes and other invisible or
//! reordering characters (bidi overrides, zero-width and line/paragraph separators) as Rust-style
//! escapes (`\n`, `\"`, `\u{202e}`), and cuts the value after [`MAX_CHARS`] characters with `…`.
//! Plain text, Chinese included, is written as it is.
//!
//! Use it as a field (`tracing::info!(issuer = %Escaped(issuer), …)`) or in a message
//! (`"refused: {}", Escaped(&e)`); it takes anything that implements `Display`, errors included.

use std::fmt::{self, Display, Write};

/// The longest a logged value gets, in characters (then `…`).
pub const MAX_CHARS: usize = 256;

/// A `Display` value written escaped and truncated for a log line.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<T>(pub T);

impl<T: Display> Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Writer {
            out: f,
            chars: 0,
            cut: false,
        };
        let r = write!(w, "{}", self.0);
        let cut = w.cut;
        if cut {
            f.write_char('…')
        } else {
            r
        }
    }
}

/// Escapes on the fly; stops (with an error the caller recognises by `cut`) at the limit.
struct Writer<'a, 'b> {
    out: &'a mut fmt::Formatter<'b>,
    chars: usize,
    cut: bool,
}

impl Write for Writer<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.chars >= MAX_CHARS {
                self.cut = true;
                return Err(fmt::Error);
            }
            self.chars += 1;
            match c {
                '\n' => self.out.write_str("\\n")?,
                '\r' => self.out.write_str("\\r")?,
                '\t' => self.out.write_str("\\t")?,
                '"' => self.out.write_str("\\\"")?,
                '\\' => self.out.write_str("\\\\")?,
                c if unsafe_char(c) => write!(self.out, "\\u{{{:x}}}", c as u32)?,
                c => self.out.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// Characters that are invisible, break lines or reorder text on a terminal or in a log viewer.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'   // zero-width, LRM/RLM
            | '\u{2028}' | '\u{2029}' // line / paragraph separator
            | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_could_forge_or_hide_a_line() {
        let forged =
            "https://sp.example\n2026-01-01T00:00:00Z INFO login succeeded userid=\"boss\"";
        let out = Escaped(forged).to_string();
        assert!(!out.contains('\n'), "{out}");
        assert!(
            out.contains("\\n2026") && out.contains("userid=\\\"boss\\\""),
            "{out}"
        );
        assert_eq!(
            Escaped("a\r\tb\\c\u{1b}[31m").to_string(),
            "a\\r\\tb\\\\c\\u{1b}[31m"
        );
        assert_eq!(
            Escaped("x\u{202e}y\u{2028}z\u{200b}").to_string(),
            "x\\u{202e}y\\u{2028}z\\u{200b}"
        );
        assert_eq!(Escaped("张三 zhangsan").to_string(), "张三 zhangsan");
        assert_eq!(Escaped(&42).to_string(), "42", "any Display");
    }

    #[test]
    fn truncates_long_values() {
        let long = "界".repeat(MAX_CHARS + 10);
        let out = Escaped(&long).to_string();
        assert_eq!(out.chars().count(), MAX_CHARS + 1);
        assert!(out.ends_with('…'));
        let exact = "a".repeat(MAX_CHARS);
        assert_eq!(
            Escaped(&exact).to_string(),
            exact,
            "no … at exactly the limit"
        );
    }
}
