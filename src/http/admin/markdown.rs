//! Markdown to HTML for the console's set-up guides (the bundled `metadata/<console>/README.md`).
//! Raw HTML in the source is never passed through: it is shown as text. Links keep only web,
//! mail and in-page addresses; any other scheme (`javascript:`, `data:`) becomes a dead link.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

/// The HTML of `markdown`, safe to insert in a page.
pub(super) fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, options).map(|e| match e {
        // Raw HTML becomes text, which the writer escapes.
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// `url` when it is a web, mail, relative or in-page address; else `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let scheme = url
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.contains(['/', '?', '#']));
    match scheme.map(str::to_ascii_lowercase).as_deref() {
        None | Some("http" | "https" | "mailto") => url,
        Some(_) => CowStr::Borrowed("#"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Rule: headings, lists, tables and code render as HTML.
    #[test]
    fn renders_the_guides_markdown() {
        let h = to_html(
            "# 华为云\n\n1. Create\n2. Upload `idp.xml`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(h.contains("<h1>华为云</h1>"), "{h}");
        assert!(
            h.contains("<ol>") && h.contains("<code>idp.xml</code>"),
            "{h}"
        );
        assert!(h.contains("<table>"), "{h}");
    }

    // Rule: raw HTML in the source is shown as text, never passed through; a link with another
    // scheme than http(s) or mailto is dead.
    #[test]
    fn raw_html_and_script_links_are_neutralised() {
        let h = to_html("<script>alert(1)</script>\n\nx <img src=x onerror=alert(1)> y\n\n[a](javascript:alert(1)) [b](JaVaScRiPt:x) [c](https://ok.example/) [d](../x.md)\n\n![i](data:image/svg+xml,x)");
        assert!(!h.contains("<script") && !h.contains("<img src=x"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
        assert!(!h.to_ascii_lowercase().contains("javascript:"), "{h}");
        assert!(!h.contains("data:image"), "{h}");
        assert!(
            h.contains("href=\"https://ok.example/\"") && h.contains("href=\"../x.md\""),
            "{h}"
        );
    }

    // Rule: every bundled guide renders without raw HTML getting through.
    #[test]
    fn bundled_guides_render() {
        for console in [
            "generic",
            "huawei",
            "tencent",
            "aliyun",
            "aws",
            "volcengine",
            "baidu",
            "kingsoft",
        ] {
            let md = crate::providers::text::guide(console).unwrap_or_default();
            assert!(!md.is_empty(), "{console}");
            let h = to_html(md);
            assert!(h.contains("<h1>") || h.contains("<h2>"), "{console}");
            assert!(!h.contains("<script"), "{console}");
        }
    }
}
