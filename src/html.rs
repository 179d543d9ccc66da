//! Text inside the HTML pages jitbf writes (`jitbf explore`, `--profile-html`).

/// `text` escaped for HTML element content and quoted attribute values: `&`, `<`, `>`, `"`
/// and `'` become character references, so source comments or output shown on a page can
/// never open a tag or end an attribute.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_characters_become_references_and_the_rest_stays() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&</a> +[-]."#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt; +[-]."
        );
        assert_eq!(escape("ünï €"), "ünï €");
    }
}
