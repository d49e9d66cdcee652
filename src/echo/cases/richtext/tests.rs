use super::*;
use proptest::prelude::*;
use regex::Regex;

const RECOMMENDATION: &str = "\
# Recommendations from the hub

Thank you for bringing this case. The hub **agreed** on three steps,
in this order:

1. *Stabilize pay* for peer specialists before the next budget cycle.
2. Pair each new hire with a mentor for the first 90 days.
   - Protect one hour a week for supervision.
   - Count mentoring as billable time where the state allows it.
3. Read the [peer workforce guide](https://www.example.org/peer-guide) together.

## Next steps

> Report back at the cohort's next session.

Questions: [write to the hub](mailto:echo@example.org) or see <https://www.example.org/echo>.
";

#[test]
fn a_recommendation_renders_to_the_allowed_html() {
    assert_eq!(
            to_html(RECOMMENDATION),
            "<h3>Recommendations from the hub</h3>\n\
<p>Thank you for bringing this case. The hub <strong>agreed</strong> on three steps,\n\
in this order:</p>\n\
<ol>\n\
<li><em>Stabilize pay</em> for peer specialists before the next budget cycle.</li>\n\
<li>Pair each new hire with a mentor for the first 90 days.\n\
<ul>\n\
<li>Protect one hour a week for supervision.</li>\n\
<li>Count mentoring as billable time where the state allows it.</li>\n\
</ul>\n\
</li>\n\
<li>Read the <a href=\"https://www.example.org/peer-guide\" rel=\"noopener noreferrer\">peer workforce guide</a> together.</li>\n\
</ol>\n\
<h4>Next steps</h4>\n\
<blockquote>\n\
<p>Report back at the cohort's next session.</p>\n\
</blockquote>\n\
<p>Questions: <a href=\"mailto:echo@example.org\" rel=\"noopener noreferrer\">write to the hub</a> \
or see <a href=\"https://www.example.org/echo\" rel=\"noopener noreferrer\">https://www.example.org/echo</a>.</p>\n"
        );
}

#[test]
fn a_recommendation_renders_to_readable_text() {
    assert_eq!(
        to_text(RECOMMENDATION),
        "\
Recommendations from the hub

Thank you for bringing this case. The hub agreed on three steps,
in this order:

1. Stabilize pay for peer specialists before the next budget cycle.
2. Pair each new hire with a mentor for the first 90 days.
   - Protect one hour a week for supervision.
   - Count mentoring as billable time where the state allows it.
3. Read the peer workforce guide (https://www.example.org/peer-guide) together.

Next steps

> Report back at the cohort's next session.

Questions: write to the hub (echo@example.org) or see https://www.example.org/echo."
    );
}

#[test]
fn headings_move_down_below_the_pages_own() {
    assert_eq!(
        to_html("# One\n## Two\n### Three\n###### Six"),
        "<h3>One</h3>\n<h4>Two</h4>\n<h4>Three</h4>\n<h4>Six</h4>\n"
    );
}

#[test]
fn raw_html_is_removed() {
    for markdown in [
        "<script>alert(1)</script>",
        "<style>body { display: none }</style>",
        "<div onclick=\"alert(1)\">\nalert(1)\n</div>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<img src=x onerror=alert(1)>",
        "A <img src=x onerror=alert(1)> inline",
        "A <a href=\"javascript:alert(1)\" onclick=\"x\">link</a> inline",
        "<p style=\"color:red\" onmouseover=\"alert(1)\">alert(1)</p>",
        "<svg onload=alert(1)>",
        "<!-- alert(1) -->",
    ] {
        let html = to_html(markdown);
        for banned in [
            "<script",
            "<style",
            "<iframe",
            "<img",
            "<div",
            "<svg",
            "onclick",
            "onerror",
            "onload",
            "style=",
            "javascript",
            "alert(1)",
        ] {
            assert!(!html.contains(banned), "{markdown:?} gave {html:?}");
        }
    }
}

#[test]
fn inline_script_and_style_lose_their_content_up_to_the_paragraph_end() {
    assert_eq!(
        to_html("Hi <script>alert(1)</script> there\n\nNext"),
        "<p>Hi  there</p>\n<p>Next</p>\n"
    );
    assert_eq!(
        to_html("Hi <STYLE>p {}</Style> there"),
        "<p>Hi  there</p>\n"
    );
    assert_eq!(
        to_html("Use <script> with care\n\nNext"),
        "<p>Use </p>\n<p>Next</p>\n",
        "an unclosed tag hides only the rest of its paragraph"
    );
}

#[test]
fn links_keep_only_web_and_mail_addresses() {
    for (markdown, html) in [
        (
            "[a](javascript:alert(1))",
            "<p><a rel=\"noopener noreferrer\">a</a></p>\n",
        ),
        (
            "[a](JaVaScRiPt:alert(1))",
            "<p><a rel=\"noopener noreferrer\">a</a></p>\n",
        ),
        (
            "[a](javascript&#58;alert(1))",
            "<p><a rel=\"noopener noreferrer\">a</a></p>\n",
        ),
        (
            "[a](data:text/html;base64,PHNjcmlwdD4=)",
            "<p><a rel=\"noopener noreferrer\">a</a></p>\n",
        ),
        (
            "[a](vbscript:msgbox)",
            "<p><a rel=\"noopener noreferrer\">a</a></p>\n",
        ),
        (
            "[a](/organizer/cases)",
            "<p><a rel=\"noopener noreferrer\">a</a></p>\n",
        ),
        (
            "[a](https://example.org \"title\")",
            "<p><a href=\"https://example.org\" rel=\"noopener noreferrer\">a</a></p>\n",
        ),
        (
            "[a](http://example.org)",
            "<p><a href=\"http://example.org\" rel=\"noopener noreferrer\">a</a></p>\n",
        ),
        (
            "[a](mailto:hub@example.org)",
            "<p><a href=\"mailto:hub@example.org\" rel=\"noopener noreferrer\">a</a></p>\n",
        ),
    ] {
        assert_eq!(to_html(markdown), html, "{markdown:?}");
    }
}

#[test]
fn images_leave_only_their_description() {
    assert_eq!(
        to_html("![chart of exits](https://evil.example/x.png \"t\")"),
        "<p>chart of exits</p>\n"
    );
    assert_eq!(
        to_text("![chart of exits](https://evil.example/x.png)"),
        "chart of exits"
    );
}

#[test]
fn code_is_escaped_not_run() {
    assert_eq!(
        to_html("Type `<script>` here.\n\n```\n<b>x</b>\n```"),
        "<p>Type <code>&lt;script&gt;</code> here.</p>\n<code>&lt;b&gt;x&lt;/b&gt;\n</code>\n"
    );
    assert_eq!(
        to_text("Run this:\n\n```\nline one\n\nline three\n```\n\nDone."),
        "Run this:\n\n    line one\n\n    line three\n\nDone."
    );
}

#[test]
fn links_in_text_show_the_url_only_when_it_adds_something() {
    for (markdown, text) in [
        (
            "[the guide](https://example.org/g)",
            "the guide (https://example.org/g)",
        ),
        ("<https://example.org/g>", "https://example.org/g"),
        (
            "[hub@example.org](mailto:hub@example.org)",
            "hub@example.org",
        ),
        ("<hub@example.org>", "hub@example.org"),
        ("[click](javascript:alert(1))", "click"),
        ("[cases](/organizer/cases)", "cases"),
    ] {
        assert_eq!(to_text(markdown), text, "{markdown:?}");
    }
}

#[test]
fn loose_lists_and_quotes_keep_their_shape_in_text() {
    assert_eq!(
        to_text("- one\n\n  more of one\n\n- two\n\n> a\n>\n> b\n\n3. three\n4. four"),
        "- one\n\n  more of one\n\n- two\n\n> a\n>\n> b\n\n3. three\n4. four"
    );
}

#[test]
fn empty_input_gives_empty_output() {
    assert_eq!(to_html(""), "");
    assert_eq!(to_text(""), "");
    assert_eq!(to_text("<script>x</script>"), "");
}

/// How deep tags nest in `html` (a well-formed fragment).
fn deepest(html: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0);
    for tag in TAG.captures_iter(html) {
        if &tag[2] == "br" {
        } else if &tag[1] == "/" {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

#[test]
fn markers_past_the_level_cap_are_text_before_the_parser_walks_them() {
    for markdown in [
        ">".repeat(10_000),
        "- ".repeat(5_000),
        "1. ".repeat(3_000),
        format!("{}{}", "\t".repeat(100), "> ".repeat(100)),
    ] {
        let shallow = shallow(&markdown);
        let containers = Parser::new(&shallow)
            .filter(|e| {
                matches!(
                    e,
                    Event::Start(Tag::BlockQuote(_) | Tag::List(_) | Tag::Item)
                )
            })
            .count();
        assert!(
            containers <= 2 * MAX_LEVELS,
            "{containers} containers open from {:?}…",
            &markdown[..20]
        );
    }
    for markdown in [RECOMMENDATION, "-----------------------------------------------------------------------------------\n* * * * * * *"] {
            assert!(
                matches!(shallow(markdown), Cow::Borrowed(_)),
                "{markdown:?} is left as it is"
            );
        }
}

#[test]
fn references_keep_their_address_while_the_addresses_fit_in_the_markdown() {
    let address = format!("https://example.org/{}", "a".repeat(1_000));
    let markdown = format!(
        "[x]: {address} \"{}\"\n\n{}",
        "t".repeat(1_000),
        "[x] ".repeat(1_000)
    );
    let html = to_html(&markdown);
    let linked = html.matches(&address).count();
    assert!(
        (1..=markdown.len() / address.len()).contains(&linked),
        "{linked} addresses of {} bytes from {} bytes of Markdown",
        address.len(),
        markdown.len()
    );
    assert_eq!(html.matches(">x</a>").count(), linked, "the rest are text");
    assert!(
        html.len() <= 4 * markdown.len(),
        "{} bytes of HTML",
        html.len()
    );
    let text = to_text(&markdown);
    assert!(
        text.len() <= 4 * markdown.len(),
        "{} bytes of text",
        text.len()
    );
}

#[test]
fn text_reaches_the_sanitizer_in_short_runs_and_comes_out_whole() {
    for markdown in [
        "&e".repeat(10_000),
        format!("`{}`", "&".repeat(3_000)),
        "\u{b7}é&".repeat(2_000),
        format!("```\n{}\n```", "a & b\n".repeat(1_000)),
    ] {
        let mut run = 0;
        let mut longest = 0;
        for event in in_short_runs(events(&markdown)) {
            match event {
                Event::Text(text) => run += text.len(),
                Event::SoftBreak => run += 1,
                _ => run = 0,
            }
            longest = longest.max(run);
        }
        assert!(longest <= TEXT_RUN, "a run of {longest} bytes");
    }
    assert_eq!(
        to_html(&"&e".repeat(10_000)),
        format!("<p>{}</p>\n", "&amp;e".repeat(10_000)),
        "the comments leave nothing behind"
    );
    assert_eq!(
        to_html(&format!("`{}` \u{b7}", "<&".repeat(300))),
        format!("<p><code>{}</code> \u{b7}</p>\n", "&lt;&amp;".repeat(300))
    );
}

#[test]
fn a_link_address_longer_than_2_kb_is_not_kept() {
    let long = format!("https://example.org/?{}", "a=1&".repeat(600));
    assert_eq!(
        to_html(&format!("[see]({long})")),
        "<p>see</p>\n",
        "the text stays"
    );
    assert_eq!(to_text(&format!("[see]({long})")), "see");
}

#[test]
fn quotes_nested_past_the_cap_are_flattened_into_the_deepest_kept() {
    let markdown = ">".repeat(20_000);
    let html = to_html(&markdown);
    assert_eq!(
        html.matches("<blockquote>").count(),
        MAX_NESTING,
        "{} quotes deep",
        20_000
    );
    let html = to_html(&format!("{} deep words", ">".repeat(50)));
    assert!(html.contains("deep words"), "the text stays: {html}");
    assert!(deepest(&html) <= MAX_NESTING + 1, "{html}");
}

#[test]
fn deep_nesting_with_lazy_lines_costs_the_text_a_bounded_prefix_per_line() {
    // 10 000 quotes (or 5 000 nested lists), then 5 000 lazy
    // continuation lines: each line of the text repeats the prefix of
    // the blocks it is in, once 20 000 bytes of it.
    let quotes = format!("{} a\n{}", ">".repeat(10_000), "b\n".repeat(5_000));
    let lists = format!("{}a\n{}", "- ".repeat(5_000), "b\n".repeat(5_000));
    for markdown in [&quotes, &lists] {
        let text = to_text(markdown);
        assert!(
            text.len() <= 10 * markdown.len(),
            "{} bytes of text from {} of Markdown",
            text.len(),
            markdown.len()
        );
    }
    let last = to_text(&quotes)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        last,
        format!("{}b", "> ".repeat(MAX_NESTING)),
        "the deepest kept"
    );
}

#[test]
fn items_past_the_cap_keep_a_line_each() {
    let markdown: String = (0..12)
        .map(|n| format!("{}- item {n}\n", "  ".repeat(n)))
        .collect();
    let text = to_text(&markdown);
    for n in 0..12 {
        assert_eq!(
            text.lines()
                .filter(|l| l.trim() == format!("- item {n}") || l.trim() == format!("item {n}"))
                .count(),
            1,
            "item {n} on a line of its own: {text}"
        );
    }
    let html = to_html(&markdown);
    assert!(deepest(&html) <= MAX_NESTING, "{html}");
}

#[test]
fn emphasis_nested_past_the_cap_is_flattened() {
    let markdown = format!("{}x{}", "*a ".repeat(500), " b*".repeat(500));
    let html = to_html(&markdown);
    assert!(deepest(&html) <= MAX_NESTING + 1, "{html}");
    assert_eq!(html.matches('x').count(), 1, "the text stays");
}

const SNIPPETS: &[&str] = &[
    "# Head\n",
    "## Sub\n",
    "plain words ",
    "**bold** ",
    "*em* ",
    "`code` ",
    "\n\n",
    "\n",
    "- item\n",
    "1. item\n",
    "> quote\n",
    "[a](https://example.org)",
    "[a](javascript:alert(1))",
    "[a](  javascript:alert(1))",
    "[a](java\tscript:x)",
    "<https://example.org>",
    "![i](https://example.org/i.png)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\" onclick=\"x\">",
    "</a>",
    "<div style=\"x\">",
    "<svg onload=alert(1)>",
    "<iframe srcdoc=\"<script>\">",
    "\"><script>alert(1)</script>",
    "&lt;script&gt;",
    "&#60;script&#62;",
    "<",
    ">",
    "\"",
    "'",
    "```\n",
    "    indented code\n",
    "---\n",
];

static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<(/?)([A-Za-z0-9]+)([^>]*)>").unwrap());
static ATTRIBUTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\s*([A-Za-z-]+)="([^"]*)""#).unwrap());

proptest! {
    #[test]
    fn only_allowed_tags_and_safe_link_attributes_come_out(
        parts in prop::collection::vec(prop::sample::select(SNIPPETS), 0..16)
    ) {
        let markdown: String = parts.concat();
        let html = to_html(&markdown);
        for tag in TAG.captures_iter(&html) {
            let name = &tag[2];
            prop_assert!(TAGS.contains(&name), "<{}> in {:?} from {:?}", name, html, markdown);
            let attributes = &tag[3];
            let rest = ATTRIBUTE.replace_all(attributes, "");
            prop_assert!(rest.trim().is_empty(), "{:?} in {:?}", attributes, html);
            for attribute in ATTRIBUTE.captures_iter(attributes) {
                match &attribute[1] {
                    "href" => prop_assert!(is_kept_url(&attribute[2]), "{:?}", html),
                    "rel" => prop_assert_eq!(&attribute[2], "noopener noreferrer"),
                    other => prop_assert!(false, "attribute {} in {:?}", other, html),
                }
                prop_assert_eq!(name, "a", "attributes only on links: {:?}", html);
            }
        }
    }

    #[test]
    fn any_markdown_renders_to_text_without_panic(markdown in any::<String>()) {
        let text = to_text(&markdown);
        prop_assert!(!text.ends_with('\n'), "{:?}", text);
    }
}
