//! The rules of a series' editable defaults, without I/O: which fields
//! they are and where their values come from.

use crate::config::SeriesSettings;
use crate::series::model::Series;

/// A default an organizer may edit. Its name is its column and its key in
/// the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    Description,
    DurationMinutes,
    Capacity,
    JoinUrl,
    OrganizerName,
    OrganizerEmail,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Title,
        Field::Description,
        Field::DurationMinutes,
        Field::Capacity,
        Field::JoinUrl,
        Field::OrganizerName,
        Field::OrganizerEmail,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Description => "description",
            Field::DurationMinutes => "duration_minutes",
            Field::Capacity => "capacity",
            Field::JoinUrl => "join_url",
            Field::OrganizerName => "organizer_name",
            Field::OrganizerEmail => "organizer_email",
        }
    }

    pub fn parse(name: &str) -> Option<Field> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The editable defaults of a series: its row's, or config's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Defaults {
    pub title: String,
    pub description: String,
    pub duration_minutes: i32,
    pub capacity: i32,
    pub join_url: String,
    pub organizer_name: String,
    pub organizer_email: String,
}

impl Defaults {
    pub fn from_config(s: &SeriesSettings) -> Self {
        Self {
            title: s.title.clone(),
            description: s.description.clone(),
            duration_minutes: s.duration_minutes.min(i32::MAX as u32) as i32,
            capacity: s.capacity.min(i32::MAX as u32) as i32,
            join_url: s.join_url.as_str().to_string(),
            organizer_name: s.organizer_name.clone(),
            organizer_email: s.organizer_email.to_string(),
        }
    }

    pub fn of(series: &Series) -> Self {
        Self {
            title: series.title.clone(),
            description: series.description.clone(),
            duration_minutes: series.duration_minutes,
            capacity: series.capacity,
            join_url: series.join_url.clone(),
            organizer_name: series.organizer_name.clone(),
            organizer_email: series.organizer_email.clone(),
        }
    }
}
