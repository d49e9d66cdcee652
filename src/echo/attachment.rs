//! What a case attachment really is, decided from its bytes: a PDF or a Word
//! document (.docx), or a refusal a person understands. Also the filename we
//! store and serve it under. No I/O.
//!
//! # Rules
//!
//! - The content decides; the filename's extension and the browser's claimed
//!   type are ignored, so `case.pdf` holding a Word document is accepted as a
//!   Word document (and [`safe_filename`] then gives it `.docx`).
//! - **PDF**: the bytes start with `%PDF-` and a version digit, and `%%EOF`
//!   stands in the last 1024 bytes. Readers tolerate the header anywhere in
//!   the first 1024 bytes, but no PDF writer puts anything before it, and
//!   what does is usually a file made to be two things at once (an HTML page
//!   that is also a PDF): the header must be at byte 0. A PDF with no `%%EOF`
//!   at its end is refused as damaged or cut short.
//! - **Word (.docx)**: a ZIP archive whose central directory (read here,
//!   bounded, without decompressing anything) lists both
//!   `[Content_Types].xml` and `word/document.xml`, each with a local header
//!   where the directory says. A Word document with macros
//!   (`word/vbaProject.bin`, a .docm) is refused. Other ZIPs are refused,
//!   naming a spreadsheet or a presentation when they are one.
//! - Old Office files (OLE compound files, `D0 CF 11 E0`: .doc, .xls, .ppt)
//!   are refused with the advice to save as .docx or PDF. Images, programs
//!   (Windows `MZ`, ELF, Mach-O, `#!` scripts) and anything else are refused,
//!   naming what the file looks like where that is easy.
//! - Empty files and files over the limit are refused before anything else.

use std::fmt;

/// What an accepted attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Pdf,
    Docx,
}

impl Kind {
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }

    /// Without the dot: `pdf`, `docx`.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
        }
    }
}

/// Why an attachment is not accepted; `Display` is the message for the
/// person who uploaded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("The file is empty. Choose the PDF or Word document again.")]
    Empty,
    #[error(
        "The file is {} MB; attachments can be at most {} MB. Make it smaller (for example, export the PDF at a lower image quality) and upload it again.",
        megabytes(*size),
        megabytes(*max_bytes)
    )]
    TooLarge { size: usize, max_bytes: usize },
    #[error("This is an old-format Office file (such as a .doc). Open it in Word, save it as a Word document (.docx) or as PDF, and upload that.")]
    OldOfficeFile,
    #[error("This Word document contains macros (.docm). Save it as a plain Word document (.docx) or as PDF, and upload that.")]
    WordWithMacros,
    #[error(
        "This PDF looks damaged or cut short. Save or export it again, and upload the new file."
    )]
    DamagedPdf,
    #[error("This looks like a ZIP archive that is damaged or cut short. If it is a Word document, save it again as .docx, and upload the new file.")]
    DamagedZip,
    #[error("{}", not_a_document(*.0))]
    NotADocument(LooksLike),
}

/// What a refused file seems to be, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LooksLike {
    Image,
    Program,
    Spreadsheet,
    Presentation,
    OtherZip,
    Unknown,
}

impl fmt::Display for LooksLike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LooksLike::Image => "an image",
            LooksLike::Program => "a program",
            LooksLike::Spreadsheet => "a spreadsheet",
            LooksLike::Presentation => "a presentation",
            LooksLike::OtherZip => "a ZIP archive",
            LooksLike::Unknown => "something else",
        })
    }
}

fn not_a_document(looks_like: LooksLike) -> String {
    let wanted = "Attach a PDF or a Word document (.docx).";
    match looks_like {
        LooksLike::Unknown => format!("This is not a PDF or a Word document. {wanted}"),
        other => format!("This looks like {other}, not a PDF or a Word document. {wanted}"),
    }
}

/// Megabytes (2^20 bytes) for a message: whole when exact, else one decimal.
fn megabytes(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes.is_multiple_of(MB) {
        (bytes / MB).to_string()
    } else {
        let mb = bytes as f64 / MB as f64;
        format!("{mb:.1}")
    }
}

/// Decides what `bytes` is (see the module docs). The filename plays no
/// part: the content decides, and [`safe_filename`] then gives the name the
/// right extension.
pub fn check(_filename: &str, bytes: &[u8], max_bytes: usize) -> Result<Kind, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    if bytes.len() > max_bytes {
        return Err(Refusal::TooLarge {
            size: bytes.len(),
            max_bytes,
        });
    }
    if bytes.starts_with(b"%PDF-") {
        return check_pdf(bytes);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return check_zip(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(Refusal::OldOfficeFile);
    }
    Err(Refusal::NotADocument(sniff(bytes)))
}

/// How far from the end `%%EOF` may stand (writers add a newline or a few
/// bytes of padding after it).
const PDF_EOF_WINDOW: usize = 1024;

fn check_pdf(bytes: &[u8]) -> Result<Kind, Refusal> {
    let version = bytes.get(5..8);
    let versioned =
        version.is_some_and(|v| v[0].is_ascii_digit() && v[1] == b'.' && v[2].is_ascii_digit());
    let tail = &bytes[bytes.len().saturating_sub(PDF_EOF_WINDOW)..];
    let ends = tail.windows(5).any(|w| w == b"%%EOF");
    if versioned && ends {
        Ok(Kind::Pdf)
    } else {
        Err(Refusal::DamagedPdf)
    }
}

fn check_zip(bytes: &[u8]) -> Result<Kind, Refusal> {
    let names = zip_entry_names(bytes).ok_or(Refusal::DamagedZip)?;
    let has = |name: &str| names.contains(&name.as_bytes());
    let any_under = |folder: &str| names.iter().any(|n| n.starts_with(folder.as_bytes()));
    if has("[Content_Types].xml") && has("word/document.xml") {
        if has("word/vbaProject.bin") {
            return Err(Refusal::WordWithMacros);
        }
        return Ok(Kind::Docx);
    }
    Err(Refusal::NotADocument(if any_under("xl/") {
        LooksLike::Spreadsheet
    } else if any_under("ppt/") {
        LooksLike::Presentation
    } else {
        LooksLike::OtherZip
    }))
}

fn sniff(bytes: &[u8]) -> LooksLike {
    let images: [&[u8]; 6] = [
        b"\x89PNG\r\n\x1a\n",
        b"\xFF\xD8\xFF",
        b"GIF87a",
        b"GIF89a",
        b"II*\0",
        b"MM\0*",
    ];
    let programs: [&[u8]; 7] = [
        b"MZ",
        b"\x7FELF",
        b"\xFE\xED\xFA\xCE",
        b"\xFE\xED\xFA\xCF",
        b"\xCE\xFA\xED\xFE",
        b"\xCF\xFA\xED\xFE",
        b"#!",
    ];
    let riff_webp = bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP");
    let heif = bytes.get(4..8) == Some(b"ftyp")
        && bytes
            .get(8..12)
            .is_some_and(|brand| [&b"heic"[..], b"heix", b"mif1", b"avif"].contains(&brand));
    if riff_webp || heif || images.iter().any(|sig| bytes.starts_with(sig)) {
        LooksLike::Image
    } else if programs.iter().any(|sig| bytes.starts_with(sig)) {
        LooksLike::Program
    } else {
        LooksLike::Unknown
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
const LOCAL_HEADER: &[u8] = b"PK\x03\x04";
/// A Word document has a few dozen parts; more than this is not one.
const MAX_ENTRIES: usize = 10_000;

/// The names in the central directory, or `None` when it cannot be read or
/// an entry's local header is not where the directory says.
fn zip_entry_names(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let search_from = bytes
        .len()
        .saturating_sub(END_OF_DIRECTORY_LEN + usize::from(u16::MAX));
    let end = (search_from..=bytes.len().checked_sub(END_OF_DIRECTORY_LEN)?)
        .rev()
        .find(|&i| bytes[i..].starts_with(END_OF_DIRECTORY))?;
    let entries = usize::from(u16_at(bytes, end + 10)?);
    let directory_at = usize::try_from(u32_at(bytes, end + 16)?).ok()?;
    // 0xFFFF / 0xFFFFFFFF mean ZIP64, which no Word document needs.
    if entries == usize::from(u16::MAX) || entries > MAX_ENTRIES {
        return None;
    }
    let mut names = Vec::with_capacity(entries);
    let mut at = directory_at;
    for _ in 0..entries {
        let header = bytes.get(at..at.checked_add(DIRECTORY_ENTRY_LEN)?)?;
        if !header.starts_with(DIRECTORY_ENTRY) {
            return None;
        }
        let name_len = usize::from(u16_at(header, 28)?);
        let extra_len = usize::from(u16_at(header, 30)?);
        let comment_len = usize::from(u16_at(header, 32)?);
        let local_at = usize::try_from(u32_at(header, 42)?).ok()?;
        let name_at = at + DIRECTORY_ENTRY_LEN;
        names.push(bytes.get(name_at..name_at + name_len)?);
        if !bytes.get(local_at..)?.starts_with(LOCAL_HEADER) {
            return None;
        }
        at = name_at + name_len + extra_len + comment_len;
    }
    Some(names)
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The longest filename we keep, extension included, in characters.
pub const MAX_FILENAME_CHARS: usize = 100;

/// A filename safe to store and to put in a `Content-Disposition` header:
/// only the last path component (`C:\fakepath\case.pdf` → `case.pdf`);
/// no control or invisible formatting characters (white space ones become
/// spaces) (which can make
/// `case<U+202E>fdp.exe` display as `caseexe.pdf`), quotes, or characters Windows
/// forbids; runs of spaces made one; no leading or trailing dots or spaces;
/// at most [`MAX_FILENAME_CHARS`] characters; and ending in the extension of
/// what the content is. An extension already there (one to four letters and
/// digits, at least one a letter, such as `.pdf`, `.doc`, `.txt`) is
/// replaced; anything else after a dot (`v2.1`) is kept as part of the name.
pub fn safe_filename(name: &str, kind: Kind) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|&c| !c.is_control() && !is_invisible_format(c) && !"\"'`<>:|?*".contains(c))
        .collect();
    let mut stem = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((before, extension)) = stem.rsplit_once('.') {
        let is_extension = (1..=4).contains(&extension.len())
            && extension.chars().all(|c| c.is_ascii_alphanumeric())
            && extension.chars().any(|c| c.is_ascii_alphabetic());
        if is_extension {
            stem = before.to_owned();
        }
    }
    let extension = kind.extension();
    let room = MAX_FILENAME_CHARS - extension.len() - 1;
    let stem: String = stem.chars().take(room).collect();
    let mut stem = stem.trim_matches(['.', ' ']).to_owned();
    if stem.is_empty() {
        stem = "attachment".into();
    }
    if is_reserved_on_windows(&stem) {
        stem.push('_');
    }
    format!("{stem}.{extension}")
}

/// Zero-width and bidirectional controls: invisible, and able to disguise
/// an extension.
fn is_invisible_format(c: char) -> bool {
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LIMIT: usize = 10 * 1024 * 1024;

    /// A one-page PDF written by hand, with a correct cross-reference table.
    fn minimal_pdf() -> Vec<u8> {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ];
        let mut pdf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend(format!("{} 0 obj\n{body}\nendobj\n", i + 1).bytes());
        }
        let xref_at = pdf.len();
        pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
        for offset in offsets {
            pdf.extend(format!("{offset:010} 00000 n \n").bytes());
        }
        pdf.extend(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
                objects.len() + 1
            )
            .bytes(),
        );
        pdf
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A real ZIP archive with stored (uncompressed) entries.
    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut directory = Vec::new();
        for (name, data) in entries {
            let offset = u32::try_from(out.len()).unwrap();
            let size = u32::try_from(data.len()).unwrap();
            let name_len = u16::try_from(name.len()).unwrap();
            let crc = crc32(data);
            // Local header: version 2.0, no flags, stored, zero time and date.
            out.extend(LOCAL_HEADER);
            out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend(crc.to_le_bytes());
            out.extend(size.to_le_bytes());
            out.extend(size.to_le_bytes());
            out.extend(name_len.to_le_bytes());
            out.extend(0u16.to_le_bytes());
            out.extend(name.as_bytes());
            out.extend(*data);
            directory.extend(DIRECTORY_ENTRY);
            out_directory_entry(&mut directory, crc, size, name_len, offset);
            directory.extend(name.as_bytes());
        }
        let directory_at = u32::try_from(out.len()).unwrap();
        let count = u16::try_from(entries.len()).unwrap();
        out.extend(&directory);
        out.extend(END_OF_DIRECTORY);
        out.extend([0, 0, 0, 0]);
        out.extend(count.to_le_bytes());
        out.extend(count.to_le_bytes());
        out.extend(u32::try_from(directory.len()).unwrap().to_le_bytes());
        out.extend(directory_at.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    fn out_directory_entry(out: &mut Vec<u8>, crc: u32, size: u32, name_len: u16, offset: u32) {
        // Made by 2.0, needs 2.0, no flags, stored, zero time and date.
        out.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend(crc.to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend(name_len.to_le_bytes());
        // Extra and comment lengths, disk, internal and external attributes.
        out.extend([0; 12]);
        out.extend(offset.to_le_bytes());
    }

    const CONTENT_TYPES: &[u8] = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    const RELS: &[u8] = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    const DOCUMENT: &[u8] = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Our case.</w:t></w:r></w:p></w:body></w:document>"#;

    fn minimal_docx() -> Vec<u8> {
        zip(&[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", RELS),
            ("word/document.xml", DOCUMENT),
        ])
    }

    fn assert_looks_like(bytes: &[u8], looks_like: LooksLike) {
        assert_eq!(
            check("case.pdf", bytes, LIMIT),
            Err(Refusal::NotADocument(looks_like)),
            "{bytes:?}"
        );
    }

    #[test]
    fn a_minimal_pdf_is_a_pdf() {
        assert_eq!(check("case.pdf", &minimal_pdf(), LIMIT), Ok(Kind::Pdf));
    }

    #[test]
    fn a_minimal_docx_is_a_word_document() {
        assert_eq!(check("case.docx", &minimal_docx(), LIMIT), Ok(Kind::Docx));
    }

    #[test]
    fn the_content_wins_over_the_extension() {
        assert_eq!(check("case.pdf", &minimal_docx(), LIMIT), Ok(Kind::Docx));
        assert_eq!(check("case.docx", &minimal_pdf(), LIMIT), Ok(Kind::Pdf));
        assert_eq!(check("", &minimal_pdf(), LIMIT), Ok(Kind::Pdf));
    }

    #[test]
    fn a_pdf_may_have_padding_after_its_end_marker() {
        let mut pdf = minimal_pdf();
        pdf.extend([b'\0'; 200]);
        assert_eq!(check("case.pdf", &pdf, LIMIT), Ok(Kind::Pdf));
    }

    #[test]
    fn a_pdf_header_after_other_bytes_is_not_a_pdf() {
        let mut polyglot = b"<html><script>alert(1)</script>".to_vec();
        polyglot.extend(minimal_pdf());
        assert_eq!(
            check("case.pdf", &polyglot, LIMIT),
            Err(Refusal::NotADocument(LooksLike::Unknown))
        );
    }

    #[test]
    fn a_pdf_cut_short_is_refused_as_damaged() {
        let pdf = minimal_pdf();
        let cut = &pdf[..pdf.len() / 2];
        assert_eq!(check("case.pdf", cut, LIMIT), Err(Refusal::DamagedPdf));
        assert_eq!(check("case.pdf", b"%PDF-", LIMIT), Err(Refusal::DamagedPdf));
    }

    #[test]
    fn an_empty_file_is_refused() {
        let refusal = check("case.pdf", b"", LIMIT).unwrap_err();
        assert_eq!(refusal, Refusal::Empty);
        assert_eq!(
            refusal.to_string(),
            "The file is empty. Choose the PDF or Word document again."
        );
    }

    #[test]
    fn a_file_over_the_limit_is_refused_naming_the_limit_in_megabytes() {
        let mut big = minimal_pdf();
        big.resize(LIMIT + 1024 * 1024 / 2, b' ');
        let refusal = check("case.pdf", &big, LIMIT).unwrap_err();
        assert_eq!(
            refusal,
            Refusal::TooLarge {
                size: big.len(),
                max_bytes: LIMIT
            }
        );
        let message = refusal.to_string();
        assert!(
            message.starts_with("The file is 10.5 MB; attachments can be at most 10 MB."),
            "{message}"
        );
    }

    #[test]
    fn a_file_exactly_at_the_limit_is_accepted() {
        let pdf = minimal_pdf();
        assert_eq!(check("case.pdf", &pdf, pdf.len()), Ok(Kind::Pdf));
    }

    #[test]
    fn an_image_is_refused_as_an_image() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        let refusal = check("case.pdf", png, LIMIT).unwrap_err();
        assert_eq!(refusal, Refusal::NotADocument(LooksLike::Image));
        assert_eq!(
            refusal.to_string(),
            "This looks like an image, not a PDF or a Word document. Attach a PDF or a Word document (.docx)."
        );
        for other in [
            &b"\xFF\xD8\xFF\xE0\0\x10JFIF"[..],
            b"GIF89a\x01\0",
            b"RIFF\0\0\0\0WEBPVP8 ",
        ] {
            assert_looks_like(other, LooksLike::Image);
        }
    }

    #[test]
    fn an_old_word_document_is_refused_with_advice_to_save_as_docx() {
        let mut doc = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        doc.resize(512, 0);
        let refusal = check("case.doc", &doc, LIMIT).unwrap_err();
        assert_eq!(refusal, Refusal::OldOfficeFile);
        assert!(refusal
            .to_string()
            .contains("save it as a Word document (.docx) or as PDF"));
    }

    #[test]
    fn a_zip_without_a_word_document_is_refused() {
        let no_document = zip(&[("[Content_Types].xml", CONTENT_TYPES), ("notes.txt", b"hi")]);
        assert_eq!(
            check("case.docx", &no_document, LIMIT),
            Err(Refusal::NotADocument(LooksLike::OtherZip))
        );
        let no_content_types = zip(&[("word/document.xml", DOCUMENT)]);
        assert_eq!(
            check("case.docx", &no_content_types, LIMIT),
            Err(Refusal::NotADocument(LooksLike::OtherZip))
        );
    }

    #[test]
    fn a_spreadsheet_and_a_presentation_are_named() {
        let xlsx = zip(&[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("xl/workbook.xml", b"<w/>"),
        ]);
        assert_eq!(
            check("a.docx", &xlsx, LIMIT),
            Err(Refusal::NotADocument(LooksLike::Spreadsheet))
        );
        let pptx = zip(&[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("ppt/presentation.xml", b"<p/>"),
        ]);
        assert_eq!(
            check("a.docx", &pptx, LIMIT),
            Err(Refusal::NotADocument(LooksLike::Presentation))
        );
    }

    #[test]
    fn a_word_document_with_macros_is_refused() {
        let docm = zip(&[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("word/document.xml", DOCUMENT),
            ("word/vbaProject.bin", b"\xD0\xCF\x11\xE0"),
        ]);
        assert_eq!(
            check("case.docx", &docm, LIMIT),
            Err(Refusal::WordWithMacros)
        );
    }

    #[test]
    fn a_docx_cut_short_is_refused_as_damaged() {
        let docx = minimal_docx();
        assert_eq!(
            check("case.docx", &docx[..docx.len() - 30], LIMIT),
            Err(Refusal::DamagedZip)
        );
    }

    #[test]
    fn a_directory_pointing_at_no_local_header_is_damaged() {
        let mut docx = minimal_docx();
        let second_entry = docx.windows(4).rposition(|w| w == LOCAL_HEADER).unwrap();
        docx[second_entry + 2] = b'X';
        assert_eq!(check("case.docx", &docx, LIMIT), Err(Refusal::DamagedZip));
    }

    #[test]
    fn programs_are_refused_as_programs() {
        for program in [
            &b"MZ\x90\0\x03\0\0\0"[..],
            b"\x7FELF\x02\x01\x01",
            b"#!/bin/sh\nrm -rf /",
        ] {
            assert_looks_like(program, LooksLike::Program);
        }
    }

    #[test]
    fn plain_text_is_not_a_document() {
        let refusal = check("case.docx", b"Our case, typed as text.", LIMIT).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "This is not a PDF or a Word document. Attach a PDF or a Word document (.docx)."
        );
    }

    #[test]
    fn content_types_and_extensions_are_the_registered_ones() {
        assert_eq!(Kind::Pdf.content_type(), "application/pdf");
        assert_eq!(Kind::Pdf.extension(), "pdf");
        assert_eq!(
            Kind::Docx.content_type(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        assert_eq!(Kind::Docx.extension(), "docx");
    }

    // --- safe_filename

    #[test]
    fn a_browser_fake_path_is_dropped() {
        assert_eq!(
            safe_filename(r"C:\fakepath\Our case.pdf", Kind::Pdf),
            "Our case.pdf"
        );
        assert_eq!(safe_filename("../../etc/passwd", Kind::Pdf), "passwd.pdf");
    }

    #[test]
    fn the_extension_follows_the_content() {
        assert_eq!(safe_filename("case.pdf", Kind::Docx), "case.docx");
        assert_eq!(safe_filename("case.DOC", Kind::Docx), "case.docx");
        assert_eq!(safe_filename("case", Kind::Pdf), "case.pdf");
        assert_eq!(safe_filename("Budget v2.1", Kind::Pdf), "Budget v2.1.pdf");
        assert_eq!(
            safe_filename("report.final.docx", Kind::Docx),
            "report.final.docx"
        );
    }

    #[test]
    fn control_characters_quotes_and_invisible_controls_are_removed() {
        assert_eq!(
            safe_filename("a\"b'c\r\nd\t<e>|f?.pdf", Kind::Pdf),
            "abc d ef.pdf"
        );
        assert_eq!(
            safe_filename("case\u{202E}fdp.exe", Kind::Pdf),
            "casefdp.pdf"
        );
        assert_eq!(
            safe_filename("  ..hidden  name . ", Kind::Pdf),
            "hidden name.pdf"
        );
    }

    #[test]
    fn nothing_left_becomes_attachment() {
        assert_eq!(safe_filename("", Kind::Pdf), "attachment.pdf");
        assert_eq!(
            safe_filename(r"C:\fakepath\", Kind::Docx),
            "attachment.docx"
        );
        assert_eq!(safe_filename(".pdf", Kind::Pdf), "attachment.pdf");
    }

    #[test]
    fn long_names_are_cut_to_one_hundred_characters_keeping_the_extension() {
        let name = format!("{}.pdf", "é".repeat(300));
        let safe = safe_filename(&name, Kind::Pdf);
        assert_eq!(safe.chars().count(), MAX_FILENAME_CHARS);
        assert!(safe.ends_with("é.pdf"), "{safe}");
    }

    #[test]
    fn names_windows_reserves_are_changed() {
        assert_eq!(safe_filename("CON.pdf", Kind::Pdf), "CON_.pdf");
        assert_eq!(safe_filename("com1", Kind::Docx), "com1_.docx");
        assert_eq!(safe_filename("console", Kind::Docx), "console.docx");
    }

    proptest! {
        #[test]
        fn any_bytes_are_checked_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            let _ = check("x", &bytes, LIMIT);
        }

        #[test]
        fn a_docx_with_any_bytes_changed_is_checked_without_panic(
            changes in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut docx = minimal_docx();
            for (at, byte) in changes {
                let i = at.index(docx.len());
                docx[i] = byte;
            }
            let len = cut.index(docx.len() + 1);
            let _ = check("x", &docx[..len], LIMIT);
        }

        #[test]
        fn a_safe_filename_is_safe_short_idempotent_and_has_the_right_extension(
            name in any::<String>(),
            docx in any::<bool>(),
        ) {
            let kind = if docx { Kind::Docx } else { Kind::Pdf };
            let safe = safe_filename(&name, kind);
            let dotted = format!(".{}", kind.extension());
            prop_assert!(safe.ends_with(&dotted), "{:?}", safe);
            prop_assert!(safe.chars().count() <= MAX_FILENAME_CHARS, "{:?}", safe);
            prop_assert!(
                !safe.chars().any(|c| c.is_control() || is_invisible_format(c) || "/\\\"'`<>:|?*".contains(c)),
                "{:?}",
                safe
            );
            prop_assert!(!safe.starts_with('.') && !safe.starts_with(' '), "{:?}", safe);
            prop_assert_eq!(safe_filename(&safe, kind), safe.clone());
        }
    }
}
