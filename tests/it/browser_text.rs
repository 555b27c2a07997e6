//! What a page says, read as an admin reads it: the words of an element, and the check that a
//! Chinese page has no English left (Latin-letter words outside an allow-list of product names,
//! protocol terms, identifiers and codes) and an English page no Chinese. Shared by the browser
//! walk (on the rendered text) and by the HTTP tests (on the served HTML).

/// Latin-letter words a Chinese page may show: product and protocol names (AWS calls its console
/// "IAM Identity Center" in Chinese too), and the names of values the console shows as they are
/// typed (sources, access words, parameter names).
const ALLOWED: &str = "
    wecom-idp wecom idp saml sso https http url xml csv api id nameid relaystate rolesessionname
    authnrequest response assertion entityid userid username email mobile alias position name
    const template default everyone none first union websso forwardidp owneruin uid excel wps utf
    json true false qr agentid corpid corp secret cn intl virtual user dept group tag role index post
    redirect base64 der pem rsa utc oidc markdown identity center wantauthnrequestssigned samlify
    bearer scim code
";

/// Characters that end a word.
fn separator(c: char) -> bool {
    c.is_whitespace()
        || !c.is_ascii()
        || matches!(
            c,
            ';' | '(' | ')' | '[' | ']' | '"' | '\'' | '!' | '?' | '|' | '<' | '>' | '*' | '#'
        )
}

/// Characters that make a word an identifier, a value or a code rather than prose.
fn in_identifier(c: char) -> bool {
    c.is_ascii_digit() || "_./:@=,`-{}+&%~$\\".contains(c)
}

/// The Latin-letter words of `text` that make it read as English: a word is a run of ASCII
/// letters standing alone (not part of an identifier or a quoted value, which hold digits or one
/// of `_ . / : @ = , - { }` or backticks; not an acronym in capitals) that is not allowed here or
/// in `extra`.
pub fn english_words(text: &str, extra: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for token in text.split(separator) {
        let token = token.trim_end_matches(['.', ':', ',']);
        if token.is_empty()
            || token.chars().any(in_identifier)
            || !token.chars().any(|c| c.is_ascii_alphabetic())
        {
            continue;
        }
        let letters = token.chars().filter(|c| c.is_ascii_alphabetic()).count();
        let caps = token.chars().filter(|c| c.is_ascii_uppercase()).count();
        // An acronym or a code in capitals (SAML, ACS).
        if letters >= 2 && caps == letters {
            continue;
        }
        let allowed = |a: &str| a.eq_ignore_ascii_case(token);
        if ALLOWED.split_whitespace().any(allowed) || extra.iter().copied().any(allowed) {
            continue;
        }
        out.push(token.to_string());
    }
    out
}

fn has_han(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Fails when the Chinese page `page` shows English words (see [`english_words`]).
pub fn assert_no_english(text: &str, page: &str, extra: &[&str]) {
    let words = english_words(text, extra);
    assert!(
        words.is_empty(),
        "English on the Chinese page {page}: {words:?}\n{text}"
    );
}

/// Fails unless `text` reads in `lang` (`zh`: Chinese and no English words; `en`: no Chinese).
pub fn assert_language(text: &str, lang: &str, what: &str) {
    assert!(!text.trim().is_empty(), "{what}: nothing shown");
    match lang {
        "zh" => {
            assert!(has_han(text), "{what}: not Chinese: {text}");
            assert_no_english(text, what, &[]);
        }
        _ => assert!(!has_han(text), "{what}: Chinese on an English page: {text}"),
    }
}

/// The text of the element with `id` in served HTML, tags removed, entities of the escaping
/// writer decoded.
pub fn text_of_id(body: &str, id: &str) -> String {
    let Some(start) = body.find(&format!("id=\"{id}\"")) else {
        return String::new();
    };
    let tag_start = body[..start].rfind('<').unwrap_or(start);
    let name: String = body[tag_start + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let Some(open_end) = body[start..].find('>') else {
        return String::new();
    };
    let inner = &body[start + open_end + 1..];
    let end = inner.find(&format!("</{name}>")).unwrap_or(inner.len());
    let mut out = String::new();
    let mut in_tag = false;
    for c in inner[..end].chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn english_words_finds_sentences_not_identifiers() {
    assert_eq!(
        english_words(
            "请填写 user:zhangsan=Admin 或 https://x.example/ 的 SAML ID",
            &[]
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        english_words("邮箱：`bad` has no @", &[]),
        vec!["has".to_string(), "no".to_string()]
    );
    assert_eq!(
        english_words("登录 zhangsan", &["zhangsan"]),
        Vec::<String>::new()
    );
    assert_eq!(english_words("Not saved", &[]).len(), 2);
}
