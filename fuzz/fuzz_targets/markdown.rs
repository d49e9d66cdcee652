//! Fuzz target `markdown`: the hub's recommendations, Markdown rendered to
//! safe HTML and to plain text (pages, the case's JSON, e-mails).
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| run(data));

use std::sync::OnceLock;

use convene::echo::cases::richtext::{TAGS, URL_SCHEMES};

/// How much bigger than its Markdown a rendering may be. Each byte can
/// cost an escape (`&quot;`) or a tag, and each line the prefix of the
/// blocks it is in (at most eight levels of `> ` or a list marker).
const MOST_HTML_PER_BYTE: usize = 16;
const MOST_TEXT_PER_BYTE: usize = 100;

fn tags() -> &'static regex::Regex {
    static TAG: OnceLock<regex::Regex> = OnceLock::new();
    TAG.get_or_init(|| regex::Regex::new(r"<(/?)([A-Za-z0-9]+)([^>]*)>").expect("a pattern"))
}

fn attributes() -> &'static regex::Regex {
    static ATTRIBUTE: OnceLock<regex::Regex> = OnceLock::new();
    ATTRIBUTE.get_or_init(|| regex::Regex::new(r#"\s*([A-Za-z-]+)="([^"]*)""#).expect("a pattern"))
}

/// Renders `data` both ways: only the tags and attributes kept come out
/// (a link's address on the web or for mail, and its `rel`), and neither
/// rendering grows more than a constant times the input.
pub fn run(data: &[u8]) {
    let markdown = String::from_utf8_lossy(data);
    let html = convene::echo::cases::richtext::to_html(&markdown);
    for tag in tags().captures_iter(&html) {
        assert!(TAGS.contains(&&tag[2]), "<{}> in the HTML", &tag[2]);
        let rest = attributes().replace_all(&tag[3], "");
        assert!(rest.trim().is_empty(), "{:?} in <{}>", &tag[3], &tag[2]);
        for attribute in attributes().captures_iter(&tag[3]) {
            let value = &attribute[2];
            match &attribute[1] {
                "href" => assert!(
                    URL_SCHEMES.iter().any(|s| value
                        .to_ascii_lowercase()
                        .strip_prefix(s)
                        .is_some_and(|v| v.starts_with(':'))),
                    "href={value:?}"
                ),
                "rel" => assert_eq!(value, "noopener noreferrer"),
                other => panic!("{other}= in <{}>", &tag[2]),
            }
        }
    }
    assert!(
        html.len() <= MOST_HTML_PER_BYTE * markdown.len() + 256,
        "{} bytes of HTML from {} of Markdown",
        html.len(),
        markdown.len()
    );
    let text = convene::echo::cases::richtext::to_text(&markdown);
    assert!(
        text.len() <= MOST_TEXT_PER_BYTE * markdown.len() + 256,
        "{} bytes of text from {} of Markdown",
        text.len(),
        markdown.len()
    );
}
