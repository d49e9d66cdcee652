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
mod tests;
