//! What a case attachment may be: a PDF or a Word document (.docx), told
//! from its bytes by `content`, or a refusal a person understands. Also the
//! filename we store and serve it under. No I/O.
//!
//! # Rules
//!
//! - The content decides; the filename's extension and the browser's claimed
//!   type are ignored, so `case.pdf` holding a Word document is accepted as a
//!   Word document (and [`safe_filename`] then gives it `.docx`).
//! - **PDF** as `content` reads one; one cut short is refused as damaged.
//! - **Word (.docx)** as `content` reads one. A Word document with macros
//!   (`word/vbaProject.bin`, a .docm) is refused. Other ZIPs are refused,
//!   naming a spreadsheet or a presentation when they are one.
//! - Old Office files (OLE compound files, `D0 CF 11 E0`: .doc, .xls, .ppt)
//!   are refused with the advice to save as .docx or PDF. Images, programs
//!   (Windows `MZ`, ELF, Mach-O, `#!` scripts) and anything else are refused,
//!   naming what the file looks like where that is easy.
//! - Empty files and files over the limit are refused before anything else.

use std::fmt;

use crate::content::{self, Content, Office};

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

/// Megabytes for a message (see `content::megabytes`).
fn megabytes(bytes: usize) -> String {
    content::megabytes(bytes as u64)
}

/// Decides what `bytes` is (see the module docs). The filename plays no
/// part: the content decides, and [`safe_filename`] then gives the name the
/// right extension.
pub fn check(_filename: &str, bytes: &[u8], max_bytes: usize) -> Result<Kind, Refusal> {
    if bytes.len() > max_bytes {
        return Err(Refusal::TooLarge {
            size: bytes.len(),
            max_bytes,
        });
    }
    match content::identify_bytes(bytes) {
        Content::Empty => Err(Refusal::Empty),
        Content::Pdf => Ok(Kind::Pdf),
        Content::DamagedPdf => Err(Refusal::DamagedPdf),
        Content::Office {
            app: Office::Word,
            macros: false,
        } => Ok(Kind::Docx),
        Content::Office {
            app: Office::Word,
            macros: true,
        } => Err(Refusal::WordWithMacros),
        Content::Office {
            app: Office::Excel, ..
        }
        | Content::OtherZip {
            under: Some(Office::Excel),
        } => Err(Refusal::NotADocument(LooksLike::Spreadsheet)),
        Content::Office {
            app: Office::PowerPoint,
            ..
        }
        | Content::OtherZip {
            under: Some(Office::PowerPoint),
        } => Err(Refusal::NotADocument(LooksLike::Presentation)),
        Content::OtherZip { .. } => Err(Refusal::NotADocument(LooksLike::OtherZip)),
        Content::DamagedZip => Err(Refusal::DamagedZip),
        Content::OldOffice => Err(Refusal::OldOfficeFile),
        Content::Image => Err(Refusal::NotADocument(LooksLike::Image)),
        Content::Program => Err(Refusal::NotADocument(LooksLike::Program)),
        Content::Mp4 { .. } | Content::WebVtt | Content::Text | Content::Unknown => {
            Err(Refusal::NotADocument(LooksLike::Unknown))
        }
    }
}

/// A filename safe to store and serve, ending in the content's extension
/// (`content::safe_filename`; nothing left is `attachment`).
pub fn safe_filename(name: &str, kind: Kind) -> String {
    content::safe_filename(name, kind.extension(), "attachment")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::testing::{minimal_pdf, zip};
    use crate::content::{is_invisible_format, LOCAL_HEADER, MAX_FILENAME_CHARS};
    use proptest::prelude::*;

    const LIMIT: usize = 10 * 1024 * 1024;

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
