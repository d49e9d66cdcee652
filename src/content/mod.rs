//! What a file is, decided from its bytes, never from its name or the type
//! a browser claims: PDF, the Office Open XML formats (.docx, .pptx,
//! .xlsx), MP4 video and audio, WebVTT captions, plain text; and what a
//! refused file seems to be (an image, a program, an old Office file).
//! Reads only what it needs through `Read + Seek`, so a 4 GB recording on
//! disk costs a few reads. Also the file name we store and serve a file
//! under. Features decide what they accept (`echo::cases::attachment`,
//! `archive`).
//!
//! # Rules
//!
//! - **PDF**: the bytes start with `%PDF-` and a version digit, and `%%EOF`
//!   stands in the last 1024 bytes. Readers tolerate the header anywhere in
//!   the first 1024 bytes, but no PDF writer puts anything before it, and
//!   what does is usually a file made to be two things at once (an HTML
//!   page that is also a PDF): the header must be at byte 0. A PDF with no
//!   `%%EOF` at its end is damaged or cut short.
//! - **Office Open XML**: a ZIP archive whose central directory (read here,
//!   bounded, without decompressing anything) lists `[Content_Types].xml`
//!   and the application's main part (`word/document.xml`,
//!   `ppt/presentation.xml`, `xl/workbook.xml`), each entry with a local
//!   header where the directory says. A VBA project (`vbaProject.bin`) is
//!   a document with macros. Other ZIPs are named by the folders they hold.
//! - **MP4** (ISO base media, the format Zoom records in): an `ftyp` box
//!   first whose major brand is an MP4 one; `M4A `/`M4B ` are audio. The
//!   HEIF/AVIF brands are images.
//! - **WebVTT**: UTF-8 text starting (after an optional BOM) with `WEBVTT`
//!   and then a space, a tab or a line end.
//! - **Text**: the whole file is UTF-8 with no control characters but tab,
//!   line ends and form feed.
//! - Old Office files (OLE compound files, `D0 CF 11 E0`), images and
//!   programs (Windows `MZ`, ELF, Mach-O, `#!` scripts) are named as such.

use std::io::{self, Read, Seek, SeekFrom};

/// What a file's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    Empty,
    Pdf,
    /// Starts as a PDF but does not end as one.
    DamagedPdf,
    Office {
        app: Office,
        macros: bool,
    },
    /// A ZIP that is no Office document; `under` is the application whose
    /// folder it has (`xl/`, `ppt/`, `word/`), if any.
    OtherZip {
        under: Option<Office>,
    },
    /// A ZIP whose directory cannot be read.
    DamagedZip,
    /// An OLE compound file: .doc, .xls, .ppt.
    OldOffice,
    Mp4 {
        audio_only: bool,
    },
    WebVtt,
    Text,
    Image,
    Program,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Office {
    Word,
    PowerPoint,
    Excel,
}

impl Content {
    /// The media type a download of it is served as, for what may be
    /// accepted (`None` for what never is).
    pub fn media_type(self) -> Option<&'static str> {
        Some(match self {
            Content::Pdf => "application/pdf",
            Content::Office {
                app: Office::Word,
                macros: false,
            } => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Content::Office {
                app: Office::PowerPoint,
                macros: false,
            } => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            Content::Office {
                app: Office::Excel,
                macros: false,
            } => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Content::Mp4 { audio_only: false } => "video/mp4",
            Content::Mp4 { audio_only: true } => "audio/mp4",
            Content::WebVtt => "text/vtt; charset=utf-8",
            Content::Text => "text/plain; charset=utf-8",
            _ => return None,
        })
    }

    /// The accepted kind a stored file's media type stands for (the
    /// inverse of `media_type`).
    pub fn from_media_type(media_type: &str) -> Option<Content> {
        const ACCEPTED: [Content; 8] = [
            Content::Pdf,
            Content::Office {
                app: Office::Word,
                macros: false,
            },
            Content::Office {
                app: Office::PowerPoint,
                macros: false,
            },
            Content::Office {
                app: Office::Excel,
                macros: false,
            },
            Content::Mp4 { audio_only: false },
            Content::Mp4 { audio_only: true },
            Content::WebVtt,
            Content::Text,
        ];
        ACCEPTED
            .into_iter()
            .find(|c| c.media_type() == Some(media_type))
    }

    /// The file name extension for it, without the dot (`None` as above).
    pub fn extension(self) -> Option<&'static str> {
        Some(match self {
            Content::Pdf => "pdf",
            Content::Office { app, macros: false } => match app {
                Office::Word => "docx",
                Office::PowerPoint => "pptx",
                Office::Excel => "xlsx",
            },
            Content::Mp4 { audio_only: false } => "mp4",
            Content::Mp4 { audio_only: true } => "m4a",
            Content::WebVtt => "vtt",
            Content::Text => "txt",
            _ => return None,
        })
    }

    /// What it is, for a message: "a PDF", "a presentation (.pptx)", …
    pub fn describe(self) -> &'static str {
        match self {
            Content::Empty => "an empty file",
            Content::Pdf => "a PDF",
            Content::DamagedPdf => "a damaged PDF",
            Content::Office { macros: true, .. } => "an Office document with macros",
            Content::Office { app, .. } => match app {
                Office::Word => "a Word document (.docx)",
                Office::PowerPoint => "a presentation (.pptx)",
                Office::Excel => "a spreadsheet (.xlsx)",
            },
            Content::OtherZip { .. } => "a ZIP archive",
            Content::DamagedZip => "a damaged ZIP archive",
            Content::OldOffice => "an old-format Office file (.doc, .ppt or .xls)",
            Content::Mp4 { audio_only: false } => "an MP4 video",
            Content::Mp4 { audio_only: true } => "an M4A audio file",
            Content::WebVtt => "a WebVTT transcript",
            Content::Text => "a text file",
            Content::Image => "an image",
            Content::Program => "a program",
            Content::Unknown => "a file of no kind we take",
        }
    }
}

/// How much of a file's start is looked at for signatures.
const HEAD: usize = 64;

/// Decides what the `len` bytes of `file` are (see the module docs).
pub fn identify<R: Read + Seek>(file: &mut R, len: u64) -> io::Result<Content> {
    if len == 0 {
        return Ok(Content::Empty);
    }
    let head = read_at(file, 0, HEAD.min(len as usize))?;
    if head.starts_with(b"%PDF-") {
        return pdf(file, len, &head);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return zip(file, len);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Ok(Content::OldOffice);
    }
    if let Some(content) = iso_media(&head) {
        return Ok(content);
    }
    if looks_like_image(&head) {
        return Ok(Content::Image);
    }
    if looks_like_program(&head) {
        return Ok(Content::Program);
    }
    if text(file)? {
        let start = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        let vtt = start
            .strip_prefix(b"WEBVTT")
            .is_some_and(|rest| matches!(rest.first(), None | Some(b' ' | b'\t' | b'\r' | b'\n')));
        return Ok(if vtt { Content::WebVtt } else { Content::Text });
    }
    Ok(Content::Unknown)
}

/// [`identify`] for bytes in memory.
pub fn identify_bytes(bytes: &[u8]) -> Content {
    identify(&mut io::Cursor::new(bytes), bytes.len() as u64)
        .expect("reading from memory does not fail")
}

fn read_at<R: Read + Seek>(file: &mut R, at: u64, len: usize) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(at))?;
    let mut bytes = Vec::with_capacity(len);
    file.take(len as u64).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// How far from the end `%%EOF` may stand (writers add a newline or a few
/// bytes of padding after it).
const PDF_EOF_WINDOW: u64 = 1024;

fn pdf<R: Read + Seek>(file: &mut R, len: u64, head: &[u8]) -> io::Result<Content> {
    let version = head.get(5..8);
    let versioned =
        version.is_some_and(|v| v[0].is_ascii_digit() && v[1] == b'.' && v[2].is_ascii_digit());
    let tail_at = len.saturating_sub(PDF_EOF_WINDOW);
    let tail = read_at(file, tail_at, (len - tail_at) as usize)?;
    let ends = tail.windows(5).any(|w| w == b"%%EOF");
    Ok(if versioned && ends {
        Content::Pdf
    } else {
        Content::DamagedPdf
    })
}

fn zip<R: Read + Seek>(file: &mut R, len: u64) -> io::Result<Content> {
    let Some(names) = zip_entry_names(file, len)? else {
        return Ok(Content::DamagedZip);
    };
    let has = |name: &str| names.iter().any(|n| n == name.as_bytes());
    let under = |folder: &str| names.iter().any(|n| n.starts_with(folder.as_bytes()));
    let typed = has("[Content_Types].xml");
    let main = [
        (Office::Word, "word/document.xml", "word/vbaProject.bin"),
        (
            Office::PowerPoint,
            "ppt/presentation.xml",
            "ppt/vbaProject.bin",
        ),
        (Office::Excel, "xl/workbook.xml", "xl/vbaProject.bin"),
    ];
    if let Some((app, _, vba)) = main.iter().find(|(_, part, _)| typed && has(part)) {
        return Ok(Content::Office {
            app: *app,
            macros: has(vba),
        });
    }
    Ok(Content::OtherZip {
        under: if under("xl/") {
            Some(Office::Excel)
        } else if under("ppt/") {
            Some(Office::PowerPoint)
        } else if under("word/") {
            Some(Office::Word)
        } else {
            None
        },
    })
}

/// ISO base media (`ftyp` first): MP4 video or audio, or a HEIF image.
fn iso_media(head: &[u8]) -> Option<Content> {
    if head.get(4..8) != Some(b"ftyp") {
        return None;
    }
    let brand = head.get(8..12)?;
    const AUDIO: [&[u8]; 2] = [b"M4A ", b"M4B "];
    const VIDEO: [&[u8]; 12] = [
        b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash",
        b"mmp4", b"MSNV",
    ];
    const IMAGE: [&[u8]; 5] = [b"heic", b"heix", b"mif1", b"msf1", b"avif"];
    if AUDIO.contains(&brand) {
        Some(Content::Mp4 { audio_only: true })
    } else if VIDEO.contains(&brand) {
        Some(Content::Mp4 { audio_only: false })
    } else if IMAGE.contains(&brand) {
        Some(Content::Image)
    } else {
        None
    }
}

fn looks_like_image(head: &[u8]) -> bool {
    let images: [&[u8]; 6] = [
        b"\x89PNG\r\n\x1a\n",
        b"\xFF\xD8\xFF",
        b"GIF87a",
        b"GIF89a",
        b"II*\0",
        b"MM\0*",
    ];
    let riff_webp = head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP");
    riff_webp || images.iter().any(|sig| head.starts_with(sig))
}

fn looks_like_program(head: &[u8]) -> bool {
    let programs: [&[u8]; 7] = [
        b"MZ",
        b"\x7FELF",
        b"\xFE\xED\xFA\xCE",
        b"\xFE\xED\xFA\xCF",
        b"\xCE\xFA\xED\xFE",
        b"\xCF\xFA\xED\xFE",
        b"#!",
    ];
    programs.iter().any(|sig| head.starts_with(sig))
}

/// Whether the whole file is UTF-8 text (see the module docs), read from
/// the start in blocks.
fn text<R: Read + Seek>(file: &mut R) -> io::Result<bool> {
    file.seek(SeekFrom::Start(0))?;
    let mut block = vec![0u8; 64 * 1024];
    // Bytes of a character cut by the end of the previous block.
    let mut carried = 0;
    loop {
        let n = file.read(&mut block[carried..])?;
        if n == 0 {
            return Ok(carried == 0);
        }
        let filled = carried + n;
        let (valid, rest) = match std::str::from_utf8(&block[..filled]) {
            Ok(s) => (s, 0),
            // An incomplete character at the end: read on.
            Err(e) if e.error_len().is_none() => (
                std::str::from_utf8(&block[..e.valid_up_to()]).unwrap_or_default(),
                filled - e.valid_up_to(),
            ),
            Err(_) => return Ok(false),
        };
        if valid
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
        {
            return Ok(false);
        }
        let used = filled - rest;
        block.copy_within(used..filled, 0);
        carried = rest;
    }
}

// The ZIP format (PKWARE APPNOTE 4.3): an end-of-central-directory record at
// the end (after an optional comment of up to 65535 bytes) says where the
// central directory is; each directory entry names a file and where its
// local header starts.
const END_OF_DIRECTORY: &[u8] = b"PK\x05\x06";
const END_OF_DIRECTORY_LEN: usize = 22;
const DIRECTORY_ENTRY: &[u8] = b"PK\x01\x02";
const DIRECTORY_ENTRY_LEN: usize = 46;
pub(crate) const LOCAL_HEADER: &[u8] = b"PK\x03\x04";
/// An Office document has a few dozen parts, a presentation with media a
/// few hundred; more than this is not one.
const MAX_ENTRIES: usize = 10_000;
/// The largest central directory read: `MAX_ENTRIES` entries with names of
/// a few hundred bytes.
const MAX_DIRECTORY: u64 = 8 * 1024 * 1024;

/// The names in the central directory, or `None` when it cannot be read or
/// an entry's local header is not where the directory says.
fn zip_entry_names<R: Read + Seek>(file: &mut R, len: u64) -> io::Result<Option<Vec<Vec<u8>>>> {
    let tail_len = (END_OF_DIRECTORY_LEN as u64 + u64::from(u16::MAX)).min(len);
    let tail = read_at(file, len - tail_len, tail_len as usize)?;
    let Some(end) = tail
        .len()
        .checked_sub(END_OF_DIRECTORY_LEN)
        .and_then(|last| {
            (0..=last)
                .rev()
                .find(|&i| tail[i..].starts_with(END_OF_DIRECTORY))
        })
    else {
        return Ok(None);
    };
    let (Some(entries), Some(directory_len), Some(directory_at)) = (
        u16_at(&tail, end + 10),
        u32_at(&tail, end + 12),
        u32_at(&tail, end + 16),
    ) else {
        return Ok(None);
    };
    let entries = usize::from(entries);
    // 0xFFFF / 0xFFFFFFFF mean ZIP64, which no Office document needs.
    if entries == usize::from(u16::MAX)
        || entries > MAX_ENTRIES
        || u64::from(directory_len) > MAX_DIRECTORY
        || u64::from(directory_at) + u64::from(directory_len) > len
    {
        return Ok(None);
    }
    let directory = read_at(file, directory_at.into(), directory_len as usize)?;
    let mut names = Vec::with_capacity(entries);
    let mut at = 0usize;
    for _ in 0..entries {
        let Some(header) = directory.get(at..at + DIRECTORY_ENTRY_LEN) else {
            return Ok(None);
        };
        if !header.starts_with(DIRECTORY_ENTRY) {
            return Ok(None);
        }
        let (Some(name_len), Some(extra_len), Some(comment_len), Some(local_at)) = (
            u16_at(header, 28),
            u16_at(header, 30),
            u16_at(header, 32),
            u32_at(header, 42),
        ) else {
            return Ok(None);
        };
        let name_at = at + DIRECTORY_ENTRY_LEN;
        let Some(name) = directory.get(name_at..name_at + usize::from(name_len)) else {
            return Ok(None);
        };
        if read_at(file, local_at.into(), LOCAL_HEADER.len())? != LOCAL_HEADER {
            return Ok(None);
        }
        names.push(name.to_vec());
        at = name_at + usize::from(name_len) + usize::from(extra_len) + usize::from(comment_len);
    }
    Ok(Some(names))
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Megabytes (2^20 bytes) for a message: whole when exact, else one decimal.
pub fn megabytes(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes.is_multiple_of(MB) {
        (bytes / MB).to_string()
    } else {
        let mb = bytes as f64 / MB as f64;
        format!("{mb:.1}")
    }
}

/// A file's size as people read it: `628 bytes`, `29 KB`, `4.2 MB`,
/// `1.5 GB` (powers of 1024).
pub fn size_label(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = KB * 1024;
    const GB: u64 = MB * 1024;
    match bytes {
        0..KB => format!("{bytes} bytes"),
        KB..MB => format!("{} KB", (bytes + KB / 2) / KB),
        MB..GB => format!("{:.1} MB", bytes as f64 / MB as f64),
        _ => format!("{:.1} GB", bytes as f64 / GB as f64),
    }
}

/// The longest file name we keep, extension included, in characters.
pub const MAX_FILENAME_CHARS: usize = 100;

/// A file name safe to store and to put in a `Content-Disposition` header,
/// never used as a path: only the last path component
/// (`C:\fakepath\case.pdf` → `case.pdf`); no control or invisible
/// formatting characters (which can make `case<U+202E>fdp.exe` display as
/// `caseexe.pdf`; white space ones become spaces), quotes, or characters
/// Windows forbids; runs of spaces made one; no leading or trailing dots
/// or spaces; at most [`MAX_FILENAME_CHARS`] characters; and ending in
/// `extension`, the content's. An extension already there (one to four
/// letters and digits, at least one a letter, such as `.pdf`, `.doc`,
/// `.txt`) is replaced; anything else after a dot (`v2.1`) is kept as part
/// of the name. Nothing left is `fallback`.
pub fn safe_filename(name: &str, extension: &str, fallback: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|&c| !c.is_control() && !is_invisible_format(c) && !"\"'`<>:|?*".contains(c))
        .collect();
    let mut stem = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((before, existing)) = stem.rsplit_once('.') {
        let is_extension = (1..=4).contains(&existing.len())
            && existing.chars().all(|c| c.is_ascii_alphanumeric())
            && existing.chars().any(|c| c.is_ascii_alphabetic());
        if is_extension {
            stem = before.to_owned();
        }
    }
    let room = MAX_FILENAME_CHARS - extension.len() - 1;
    let stem: String = stem.chars().take(room).collect();
    let mut stem = stem.trim_matches(['.', ' ']).to_owned();
    if stem.is_empty() {
        stem = fallback.into();
    }
    if is_reserved_on_windows(&stem) {
        stem.push('_');
    }
    format!("{stem}.{extension}")
}

/// Zero-width and bidirectional controls: invisible, and able to disguise
/// an extension.
pub(crate) fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
}

fn is_reserved_on_windows(stem: &str) -> bool {
    let upper = stem.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes()[3].is_ascii_digit())
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests;
