//! The two languages of every page and text (Chinese and English): which one a page is in, and a
//! text in both. What is said lives in the catalogue above this module (`text`); reading the
//! language from a request is the HTTP layer's (`error`).

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 中文.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    /// One of two literals, for templates: `{{ l.t("Apps", "应用") }}`.
    pub fn t<'a>(&self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }

    /// Picks the text for this language.
    pub fn pick(self, t: &Text) -> &str {
        match self {
            Self::Zh => &t.zh,
            Self::En => &t.en,
        }
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// English.
    pub en: String,
    /// 中文.
    pub zh: String,
}

/// Builds a [`Text`].
pub fn t(en: impl Into<String>, zh: impl Into<String>) -> Text {
    Text {
        en: en.into(),
        zh: zh.into(),
    }
}
