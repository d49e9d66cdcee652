use super::testing::{iso_media, minimal_pdf, office, zip};
use super::{identify, identify_bytes, safe_filename, Content, Office};

#[test]
fn each_kind_is_told_from_its_bytes() {
    let cases: [(Vec<u8>, Content); 12] = [
        (minimal_pdf(), Content::Pdf),
        (b"%PDF-1.7\n1 0 obj".to_vec(), Content::DamagedPdf),
        (
            office(&["word/document.xml"]),
            Content::Office {
                app: Office::Word,
                macros: false,
            },
        ),
        (
            office(&["ppt/presentation.xml", "ppt/slides/slide1.xml"]),
            Content::Office {
                app: Office::PowerPoint,
                macros: false,
            },
        ),
        (
            office(&["ppt/presentation.xml", "ppt/vbaProject.bin"]),
            Content::Office {
                app: Office::PowerPoint,
                macros: true,
            },
        ),
        (
            office(&["xl/workbook.xml"]),
            Content::Office {
                app: Office::Excel,
                macros: false,
            },
        ),
        (iso_media(b"isom"), Content::Mp4 { audio_only: false }),
        (iso_media(b"M4A "), Content::Mp4 { audio_only: true }),
        (iso_media(b"heic"), Content::Image),
        (
            b"\xEF\xBB\xBFWEBVTT\n\n00:00.000 --> 00:01.000\nHello\n".to_vec(),
            Content::WebVtt,
        ),
        (
            "10:00:04 From Jane to Everyone: bonjour, ça va ?\r\n".into(),
            Content::Text,
        ),
        (b"MZ\x90\x00\x03".to_vec(), Content::Program),
    ];
    for (bytes, want) in cases {
        assert_eq!(identify_bytes(&bytes), want, "{}", want.describe());
    }
}

#[test]
fn text_with_a_nul_or_invalid_utf8_is_not_text() {
    assert_eq!(identify_bytes(b"a\0b"), Content::Unknown);
    assert_eq!(identify_bytes(b"caf\xE9"), Content::Unknown, "Latin-1");
    assert_eq!(
        identify_bytes(b"WEBVTTX\n"),
        Content::Text,
        "WEBVTT must end its word"
    );
}

#[test]
fn a_character_split_across_reading_blocks_is_still_text() {
    let mut text = "a".repeat(64 * 1024 - 1);
    text.push('é');
    text.push_str(" fin\n");
    assert_eq!(identify_bytes(text.as_bytes()), Content::Text);
}

#[test]
fn a_zip_named_by_its_folders_when_it_is_no_office_document() {
    let no_types = zip(&[("xl/workbook.xml", b"<x/>")]);
    assert_eq!(
        identify_bytes(&no_types),
        Content::OtherZip {
            under: Some(Office::Excel)
        }
    );
    assert_eq!(
        identify_bytes(&zip(&[("notes.txt", b"hi")])),
        Content::OtherZip { under: None }
    );
    let docx = office(&["word/document.xml"]);
    assert_eq!(
        identify_bytes(&docx[..docx.len() - 30]),
        Content::DamagedZip
    );
}

#[test]
fn a_file_is_read_from_disk_without_reading_it_whole() {
    // A "recording" whose ftyp is at the start and whose bulk is never read.
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, &iso_media(b"mp42")).unwrap();
    file.set_len(64 * 1024 * 1024).unwrap();
    assert_eq!(
        identify(&mut file, 64 * 1024 * 1024).unwrap(),
        Content::Mp4 { audio_only: false }
    );
}

#[test]
fn types_and_extensions_are_the_registered_ones() {
    let pptx = Content::Office {
        app: Office::PowerPoint,
        macros: false,
    };
    assert_eq!(
        pptx.media_type(),
        Some("application/vnd.openxmlformats-officedocument.presentationml.presentation")
    );
    assert_eq!(pptx.extension(), Some("pptx"));
    assert_eq!(Content::Mp4 { audio_only: true }.extension(), Some("m4a"));
    assert_eq!(Content::Program.media_type(), None);
    assert_eq!(
        Content::from_media_type(
            "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        ),
        Some(pptx)
    );
    assert_eq!(
        Content::Office {
            app: Office::Word,
            macros: true
        }
        .extension(),
        None,
        "macros are never accepted"
    );
}

#[test]
fn sizes_read_in_the_unit_that_fits() {
    use super::size_label;
    assert_eq!(size_label(628), "628 bytes");
    assert_eq!(size_label(29_186), "29 KB");
    assert_eq!(size_label(4_404_019), "4.2 MB");
    assert_eq!(size_label(3 * 1024 * 1024 * 1024 / 2), "1.5 GB");
}

#[test]
fn a_safe_filename_drops_paths_and_takes_the_content_extension() {
    assert_eq!(
        safe_filename("../../slides/Our deck.key", "pdf", "slides"),
        "Our deck.pdf"
    );
    assert_eq!(safe_filename("..", "mp4", "recording"), "recording.mp4");
}
