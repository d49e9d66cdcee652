//! The hub's recommendations on a case, which facilitators write in
//! Markdown: rendered to HTML that is safe to put in a page or an e-mail,
//! and to plain text for the e-mail's text part. No I/O.
//!
//! # Rules
//!
//! - CommonMark without extensions: paragraphs, headings, lists, emphasis,
//!   links, block quotes, code.
//! - Headings move down two levels, `#` to `<h3>` and `##` (and deeper) to
//!   `<h4>`: the page around them already has its `<h1>` and `<h2>`.
//! - Raw HTML in the Markdown is dropped, tags and what is between them in an
//!   HTML block: facilitators write Markdown, so HTML there is pasted noise
//!   or an attack, and neither should reach a reader.
//! - An image keeps only its description (`![chart of exits](…)` reads
//!   "chart of exits").
//! - The HTML is then cleaned by ammonia down to `p br strong em ul ol li
//!   h3 h4 blockquote a code`, with no attributes but a link's `href`, and
//!   only for `http`, `https` and `mailto` (relative links lose it too);
//!   every link gets `rel="noopener noreferrer"`. A list's start number and
//!   a code block's `<pre>` are among what goes: a list counts from 1 and
//!   code reads as inline code.
//! - Nesting is bounded: past 32 levels at the start of a line, quote and
//!   list markers read as text; past 8 levels of blocks (a nested list is
//!   two) or of inline styles, the markup goes and the text stays.
//! - Links keep their addresses while these together are no longer than
//!   the Markdown, and each is at most 2 KB; past that (references
//!   repeating a long one), a link keeps only its text. Titles go.
//! - Plain text: blocks are separated by a blank line, list items start
//!   with `- ` or `1. ` (nested ones indented), quotes with `> `, code blocks
//!   are indented four spaces, and a link reads `text (url)` — the address
//!   alone for `mailto`, once when the text already is the URL, and text
//!   only when the URL is not one the HTML would keep.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The tags the HTML keeps.
pub const TAGS: [&str; 12] = [
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "blockquote",
    "a",
    "code",
];
/// The schemes a link's address keeps.
pub const URL_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(HashSet::from(TAGS))
        .clean_content_tags(HashSet::from(["script", "style"]))
        .generic_attributes(HashSet::new())
        .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
        .url_schemes(HashSet::from(URL_SCHEMES))
        .url_relative(ammonia::UrlRelative::Deny)
        // `in_short_runs` relies on it.
        .strip_comments(true)
        .link_rel(Some("noopener noreferrer"));
    builder
});

/// Safe HTML for the recommendations (see the module docs).
pub fn to_html(markdown: &str) -> String {
    let markdown = shallow(markdown);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, in_short_runs(events(&markdown)));
    SANITIZER.clean(&html).to_string()
}

/// The most bytes of text the sanitizer is given without markup between.
/// Its serializer (html5ever 0.40) looks for the next `<` or `>` to the
/// end of a text after each `&` (or `0xC2` byte) it writes: quadratic in a
/// text's length, 20 000 characters of `&e` took 40 ms (a second unoptimized).
const TEXT_RUN: usize = 256;

/// `events` with an empty comment wherever a run of text would pass
/// [`TEXT_RUN`] bytes. Each comment ends a text in the sanitizer's tree,
/// and the sanitizer removes comments, so the HTML is the same.
fn in_short_runs<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    let mut run = 0;
    events.flat_map(move |event| {
        let mut out = Vec::new();
        match event {
            Event::Text(text) if run + text.len() <= TEXT_RUN => {
                run += text.len();
                out.push(Event::Text(text));
            }
            Event::Text(text) => split_text(&text, &mut run, &mut out),
            Event::Code(code) if run + code.len() > TEXT_RUN => {
                // What the writer makes of `Code`, with the text split.
                out.push(Event::InlineHtml("<code>".into()));
                split_text(&code, &mut run, &mut out);
                out.push(Event::InlineHtml("</code>".into()));
                run = 0;
            }
            Event::SoftBreak => {
                run += 1;
                out.push(event);
            }
            other => {
                run = 0;
                out.push(other);
            }
        }
        out
    })
}

/// `text` as `Text` events of at most [`TEXT_RUN`] bytes, each after a
/// comment once the run so far is full.
fn split_text<'a>(text: &str, run: &mut usize, out: &mut Vec<Event<'a>>) {
    let mut rest = text;
    while !rest.is_empty() {
        if *run >= TEXT_RUN {
            out.push(Event::InlineHtml("<!---->".into()));
            *run = 0;
        }
        let mut end = rest.len().min(TEXT_RUN - *run);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        if end == 0 {
            // A character wider than the room left: start a new run.
            *run = TEXT_RUN;
            continue;
        }
        out.push(Event::Text(rest[..end].to_owned().into()));
        *run += end;
        rest = &rest[end..];
    }
}

/// Readable plain text for the recommendations (see the module docs).
pub fn to_text(markdown: &str) -> String {
    let markdown = shallow(markdown);
    let mut text = TextWriter::default();
    for event in events(&markdown) {
        text.event(event);
    }
    text.finish()
}

/// How many container levels a line may open or continue — quote and list
/// markers, and indentation at two columns a level — before its further
/// markers are read as text. The parser walks the open containers on
/// every line, lazy continuation lines too, so a document costs its lines
/// times their depth: 10 000 quotes and 5 000 lines after them took
/// seconds. Bounded, the cost is linear (and [`MAX_NESTING`] bounds what
/// is shown).
const MAX_LEVELS: usize = 32;

/// `markdown` with each line's markers past [`MAX_LEVELS`] escaped
/// (`\>`, `\-`, `1\.`), so that they read as the text they are.
fn shallow(markdown: &str) -> Cow<'_, str> {
    if markdown.lines().all(|line| too_deep_at(line).is_none()) {
        return Cow::Borrowed(markdown);
    }
    let mut out = String::with_capacity(markdown.len() + 64);
    for line in markdown.split_inclusive('\n') {
        match too_deep_at(line) {
            Some(at) => {
                out.push_str(&line[..at]);
                out.push('\\');
                out.push_str(&line[at..]);
            }
            None => out.push_str(line),
        }
    }
    Cow::Owned(out)
}

/// Where the line's container markers pass [`MAX_LEVELS`]: the byte of
/// the marker's punctuation, which an escape makes text.
fn too_deep_at(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let ends_marker =
        |at: usize| matches!(bytes.get(at), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
    let (mut at, mut columns, mut markers) = (0, 0, 0);
    loop {
        let marker = match bytes.get(at)? {
            b' ' => {
                columns += 1;
                at += 1;
                continue;
            }
            b'\t' => {
                columns += 4;
                at += 1;
                continue;
            }
            b'>' => at,
            b'-' | b'+' | b'*' if ends_marker(at + 1) => at,
            b'0'..=b'9' => {
                let digits = bytes[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let delimiter = at + digits;
                if digits > 9
                    || !matches!(bytes.get(delimiter), Some(b'.' | b')'))
                    || !ends_marker(delimiter + 1)
                {
                    return None;
                }
                delimiter
            }
            _ => return None,
        };
        markers += 1;
        if markers + columns / 2 > MAX_LEVELS {
            return Some(marker);
        }
        at = marker + 1;
    }
}

/// Inline tags whose content is code, not text: it goes with them.
const HIDDEN_WITH_CONTENT: [(&str, &str); 2] = [("<script", "</script"), ("<style", "</style")];

/// The Markdown's events, with raw HTML and images' markup left out,
/// headings moved down and nesting flattened below [`MAX_NESTING`].
fn events(markdown: &str) -> impl Iterator<Item = Event<'_>> {
    // Inline `<script>…</script>` comes as tag, text, tag: the text between
    // goes too, up to the closing tag or the end of the paragraph.
    let mut hiding_until: Option<&'static str> = None;
    let events = Parser::new_ext(markdown, Options::empty()).filter_map(move |event| match event {
        Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) if hiding_until.is_some() => {
            hiding_until = None;
            Some(moved_down_end(event))
        }
        Event::InlineHtml(html) if hiding_until.is_some() => {
            if hiding_until.is_some_and(|close| html.to_ascii_lowercase().contains(close)) {
                hiding_until = None;
            }
            None
        }
        _ if hiding_until.is_some() => None,
        Event::InlineHtml(html) => {
            let html = html.to_ascii_lowercase();
            hiding_until = HIDDEN_WITH_CONTENT
                .iter()
                .find(|(open, close)| html.contains(open) && !html.contains(close))
                .map(|&(_, close)| close);
            None
        }
        Event::Html(_)
        | Event::Start(Tag::HtmlBlock | Tag::Image { .. })
        | Event::End(TagEnd::HtmlBlock | TagEnd::Image) => None,
        // The title goes (the sanitizer drops it): a reference repeats it.
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            id,
            ..
        }) => Some(Event::Start(Tag::Link {
            link_type,
            dest_url,
            title: "".into(),
            id,
        })),
        Event::Start(Tag::Heading { level, .. }) => Some(Event::Start(Tag::Heading {
            level: moved_down(level),
            id: None,
            classes: Vec::new(),
            attrs: Vec::new(),
        })),
        other => Some(moved_down_end(other)),
    });
    flattened(events, markdown.len())
}

/// How deep blocks (a quote, a list item, a list: a nested list is two)
/// and, apart, inline styles (emphasis, links) may nest. Deeper ones are
/// flattened into the deepest kept: their text stays, their markup goes.
/// Each level costs every line of text in it a prefix in the plain text,
/// and every tag in it a walk up the open ones in the sanitizer: unbounded,
/// a 20 000-character recommendation became 100 MB of e-mail text.
pub const MAX_NESTING: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Nesting {
    Block,
    Inline,
}

fn nesting(tag: &Tag<'_>) -> Option<Nesting> {
    match tag {
        Tag::BlockQuote(_) | Tag::List(_) | Tag::Item | Tag::CodeBlock(_) => Some(Nesting::Block),
        Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } => {
            Some(Nesting::Inline)
        }
        _ => None,
    }
}

/// The longest link address kept (browsers and servers take about as
/// much): the sanitizer writes an address in time that grows with its
/// length times its `&`s.
const MAX_ADDRESS_BYTES: usize = 2048;

/// `events` with tags nested deeper than [`MAX_NESTING`] left out; a
/// list item left out still starts a line, so items do not run together.
/// Links keep their address while the addresses together are no longer
/// than the Markdown (`markdown_len`), and each is at most
/// [`MAX_ADDRESS_BYTES`]; past that, only their text. A
/// reference (`[x]`) repeats its definition's address: without the bound
/// a few kilobytes of references rendered to a hundred of addresses, the
/// parser's own allowance.
fn flattened<'a>(
    events: impl Iterator<Item = Event<'a>>,
    markdown_len: usize,
) -> impl Iterator<Item = Event<'a>> {
    // Per open tag: how it ends, its kind of nesting, and whether it was
    // kept. Hidden inline HTML can swallow an end: an end closes the
    // nearest open tag it ends, and whatever is open inside it.
    let mut open: Vec<(TagEnd, Option<Nesting>, bool)> = Vec::new();
    let mut depth = [0usize; 2];
    let slot = |n: Nesting| n as usize;
    let mut addresses = markdown_len;
    events.filter_map(move |event| match event {
        Event::Start(tag) => {
            let kind = nesting(&tag);
            let mut kept = kind.is_none_or(|n| depth[slot(n)] < MAX_NESTING);
            if let (Tag::Link { dest_url, .. }, true) = (&tag, kept) {
                kept = dest_url.len() <= addresses.min(MAX_ADDRESS_BYTES);
                addresses = addresses.saturating_sub(dest_url.len());
            }
            if let (Some(n), true) = (kind, kept) {
                depth[slot(n)] += 1;
            }
            let item = matches!(tag, Tag::Item);
            open.push((tag.to_end(), kind, kept));
            if kept {
                Some(Event::Start(tag))
            } else {
                item.then_some(Event::SoftBreak)
            }
        }
        Event::End(end) => {
            let Some(at) = open.iter().rposition(|(e, ..)| *e == end) else {
                return Some(Event::End(end));
            };
            let mut kept = true;
            for (_, kind, was_kept) in open.drain(at..).rev() {
                if let (Some(n), true) = (kind, was_kept) {
                    depth[slot(n)] -= 1;
                }
                kept = was_kept;
            }
            kept.then_some(Event::End(end))
        }
        other => Some(other),
    })
}

fn moved_down_end(event: Event<'_>) -> Event<'_> {
    match event {
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(moved_down(level))),
        other => other,
    }
}

fn moved_down(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        _ => HeadingLevel::H4,
    }
}

fn is_kept_url(url: &str) -> bool {
    url.split_once(':')
        .is_some_and(|(scheme, _)| URL_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()))
}

/// Writes events as plain text, one line at a time, each line starting with
/// what the blocks it is in put there.
#[derive(Default)]
struct TextWriter {
    out: String,
    /// One per open quote (`> `), code block (spaces) or list item (spaces
    /// as wide as its marker).
    indents: Vec<String>,
    /// A list item's marker, waiting for the item's first line.
    marker: Option<String>,
    /// Open lists: the next number of an ordered one, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// Open links: the target and the text written so far.
    links: Vec<(String, String)>,
    /// Line breaks owed before the next text (2 leaves a blank line).
    breaks: usize,
    mid_line: bool,
}

impl TextWriter {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) | Event::Code(text) => self.text(&text),
            Event::SoftBreak | Event::HardBreak => self.breaks += 1,
            Event::Rule => {
                self.text("----");
                self.block_break(2);
            }
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::BlockQuote(_) => self.open_block("> "),
            Tag::CodeBlock(_) => self.open_block("    "),
            Tag::List(first) => {
                self.block_break(1);
                self.lists.push(first);
            }
            Tag::Item => {
                self.block_break(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(number)) => {
                        *number += 1;
                        format!("{}. ", *number - 1)
                    }
                    _ => "- ".to_owned(),
                };
                self.open_block(&" ".repeat(marker.chars().count()));
                self.marker = Some(marker);
            }
            Tag::Link { dest_url, .. } => self.links.push((dest_url.into_string(), String::new())),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::Heading(_) => self.block_break(2),
            TagEnd::BlockQuote(_) | TagEnd::CodeBlock => {
                self.indents.pop();
                self.block_break(2);
            }
            TagEnd::List(_) => {
                self.lists.pop();
                self.block_break(if self.lists.is_empty() { 2 } else { 1 });
            }
            TagEnd::Item => {
                self.indents.pop();
                self.marker = None;
                self.block_break(1);
            }
            TagEnd::Link => {
                let Some((url, text)) = self.links.pop() else {
                    return;
                };
                if is_kept_url(&url) {
                    let shown = url.strip_prefix("mailto:").unwrap_or(&url).to_owned();
                    let text = text.trim();
                    if text != shown && text != url {
                        self.text(&format!(" ({shown})"));
                    }
                }
            }
            _ => {}
        }
    }

    /// The lines owed so far belong outside the new block.
    fn open_block(&mut self, indent: &str) {
        self.pay_breaks();
        self.indents.push(indent.to_owned());
    }

    fn block_break(&mut self, breaks: usize) {
        self.breaks = self.breaks.max(breaks);
    }

    fn text(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.breaks += 1;
            }
            if line.is_empty() {
                continue;
            }
            self.pay_breaks();
            if !self.mid_line {
                let prefix = self.prefix(true);
                self.out.push_str(&prefix);
            }
            self.out.push_str(line);
            self.mid_line = true;
            for (_, link_text) in &mut self.links {
                link_text.push_str(line);
            }
        }
    }

    fn pay_breaks(&mut self) {
        if self.out.is_empty() {
            self.breaks = 0;
        }
        for i in 0..self.breaks {
            if i > 0 {
                let blank = self.prefix(false);
                self.out.push_str(blank.trim_end());
            }
            self.out.push('\n');
            self.mid_line = false;
        }
        self.breaks = 0;
    }

    /// What starts a line here; the first line of a list item carries its
    /// marker where the later ones have spaces.
    fn prefix(&mut self, first_of_item: bool) -> String {
        let mut prefix: String = self.indents.concat();
        if first_of_item {
            if let (Some(marker), Some(indent)) = (self.marker.take(), self.indents.last()) {
                prefix.truncate(prefix.len() - indent.len());
                prefix.push_str(&marker);
            }
        }
        prefix
    }

    fn finish(self) -> String {
        self.out.trim_end().to_owned()
    }
}

#[cfg(test)]
mod tests {
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
                text.lines().filter(|l| l.trim() == format!("- item {n}") || l.trim() == format!("item {n}")).count(),
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

    static TAG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"<(/?)([A-Za-z0-9]+)([^>]*)>").unwrap());
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
}
