//! What a session's materials are: their kinds, what each kind accepts
//! and how large, and the links that may stand for a file. Pure.

use std::fmt;
use std::str::FromStr;

use crate::config::ArchiveSettings;
use crate::content::{Content, Office};

/// What a material is to the people who get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Slides,
    Recording,
    Transcript,
    Chat,
    Document,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Slides,
        Kind::Recording,
        Kind::Transcript,
        Kind::Chat,
        Kind::Document,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Slides => "slides",
            Kind::Recording => "recording",
            Kind::Transcript => "transcript",
            Kind::Chat => "chat",
            Kind::Document => "document",
        }
    }

    /// As people read it: "Slides", "Chat log", …
    pub fn label(self) -> &'static str {
        match self {
            Kind::Slides => "Slides",
            Kind::Recording => "Recording",
            Kind::Transcript => "Transcript",
            Kind::Chat => "Chat log",
            Kind::Document => "Document",
        }
    }

    /// Whether an uploaded file of `content` may be this kind. Office
    /// files with macros never are.
    pub fn accepts(self, content: Content) -> bool {
        let office = |apps: &[Office]| matches!(content, Content::Office { app, macros: false } if apps.contains(&app));
        match self {
            Kind::Slides => content == Content::Pdf || office(&[Office::PowerPoint]),
            Kind::Recording => matches!(content, Content::Mp4 { .. }),
            Kind::Transcript => matches!(content, Content::WebVtt | Content::Text),
            Kind::Chat => content == Content::Text,
            Kind::Document => {
                content == Content::Pdf
                    || content == Content::Text
                    || office(&[Office::Word, Office::PowerPoint, Office::Excel])
            }
        }
    }

    /// What it accepts, for a message.
    pub fn wanted(self) -> &'static str {
        match self {
            Kind::Slides => "a PDF or a PowerPoint presentation (.pptx)",
            Kind::Recording => "an MP4 video or M4A audio file, or a link",
            Kind::Transcript => "a WebVTT (.vtt) or text (.txt) file",
            Kind::Chat => "a text file (.txt), as Zoom saves chats",
            Kind::Document => {
                "a PDF, a Word, PowerPoint or Excel file (.docx, .pptx, .xlsx), or a text file"
            }
        }
    }

    /// The largest upload of this kind.
    pub fn max_bytes(self, settings: &ArchiveSettings) -> u64 {
        match self {
            Kind::Recording => settings.recording_max_bytes(),
            _ => settings.document_max_bytes(),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| "choose slides, recording, transcript, chat or document".to_string())
    }
}

/// Why an upload of `content` cannot be `kind`: the message for a 415.
pub fn refusal(kind: Kind, content: Content) -> String {
    let what = match content {
        Content::Office { macros: true, .. } => {
            "This Office file contains macros; save it without them (as .pptx, .docx or .xlsx) or as PDF".to_string()
        }
        Content::DamagedPdf | Content::DamagedZip => format!(
            "This looks like {}, damaged or cut short; save or export it again",
            content.describe().trim_start_matches("a damaged ")
        ),
        other => {
            let mut s = format!("This is {}", other.describe());
            s.push_str(&format!(", not {}", kind.label().to_lowercase()));
            s
        }
    };
    format!("{what}. {} must be {}.", kind.label(), kind.wanted())
}

/// The longest title or presenter name kept.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest link kept.
pub const MAX_URL_CHARS: usize = 2000;

/// A link that stands for a file: `https` (or `http`) with a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link(url::Url);

impl Link {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Where it leads, for a label: "YouTube", "Vimeo", "Zoom", or the host.
    pub fn site(&self) -> String {
        site_of(self.0.host_str().unwrap_or_default())
    }
}

/// `youtube.com` → "YouTube", `us02web.zoom.us` → "Zoom", else the host.
pub fn site_of(host: &str) -> String {
    let host = host.trim_start_matches("www.");
    let ends = |d: &str| host == d || host.ends_with(&format!(".{d}"));
    if ends("youtube.com") || ends("youtu.be") {
        "YouTube".into()
    } else if ends("vimeo.com") {
        "Vimeo".into()
    } else if ends("zoom.us") {
        "Zoom".into()
    } else {
        host.to_string()
    }
}

impl FromStr for Link {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.chars().count() > MAX_URL_CHARS {
            return Err(format!(
                "a link may have at most {MAX_URL_CHARS} characters"
            ));
        }
        let url = url::Url::parse(s).map_err(|_| "not a web address (https://…)".to_string())?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
            return Err("a link must be a web address (https://…)".into());
        }
        Ok(Link(url))
    }
}

/// Whether a browser may show a file of `media_type` itself (a PDF, a
/// video, audio, text) rather than only save it (Office files).
pub fn shown_inline(media_type: &str) -> bool {
    media_type == "application/pdf"
        || media_type.starts_with("video/")
        || media_type.starts_with("audio/")
        || media_type.starts_with("text/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PPTX: Content = Content::Office {
        app: Office::PowerPoint,
        macros: false,
    };

    #[test]
    fn each_kind_takes_its_own_files_only() {
        assert!(Kind::Slides.accepts(Content::Pdf) && Kind::Slides.accepts(PPTX));
        assert!(!Kind::Slides.accepts(Content::Mp4 { audio_only: false }));
        assert!(Kind::Recording.accepts(Content::Mp4 { audio_only: true }));
        assert!(!Kind::Recording.accepts(Content::Pdf));
        assert!(Kind::Transcript.accepts(Content::WebVtt));
        assert!(!Kind::Chat.accepts(Content::WebVtt));
        assert!(Kind::Document.accepts(PPTX));
        for kind in Kind::ALL {
            for never in [
                Content::Program,
                Content::Image,
                Content::Unknown,
                Content::Empty,
                Content::Office {
                    app: Office::PowerPoint,
                    macros: true,
                },
            ] {
                assert!(!kind.accepts(never), "{kind} must refuse {never:?}");
            }
        }
    }

    #[test]
    fn a_refusal_says_what_it_is_and_what_is_wanted() {
        assert_eq!(
            refusal(Kind::Slides, Content::Program),
            "This is a program, not slides. Slides must be a PDF or a PowerPoint presentation (.pptx)."
        );
        assert!(refusal(Kind::Recording, Content::DamagedPdf).contains("damaged or cut short"));
    }

    #[test]
    fn kinds_read_and_write_the_same() {
        for kind in Kind::ALL {
            assert_eq!(kind.as_str().parse::<Kind>(), Ok(kind));
        }
        assert!("video".parse::<Kind>().is_err());
    }

    #[test]
    fn links_are_web_addresses_named_by_their_site() {
        let zoom: Link = "https://us02web.zoom.us/rec/share/abc".parse().unwrap();
        assert_eq!(zoom.site(), "Zoom");
        let yt: Link = " https://youtu.be/dQw4w9WgXcQ ".parse().unwrap();
        assert_eq!(yt.site(), "YouTube");
        assert_eq!(
            "https://www.example.org/x".parse::<Link>().unwrap().site(),
            "example.org"
        );
        for bad in [
            "javascript:alert(1)",
            "ftp://example.org/a",
            "example.org",
            "https://",
        ] {
            assert!(bad.parse::<Link>().is_err(), "{bad}");
        }
    }
}
