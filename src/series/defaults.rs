//! A series' defaults an organizer may take over from config: which fields
//! they are, and how a series row records which ones the database owns.
//! The sessions every feature hangs on are made with them
//! (`series::generate`); the organizers' editing is `organizer::defaults`.

use serde::Serialize;

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

    /// The label on the series page, and the kind of input it takes.
    pub fn label_and_input(self) -> (&'static str, &'static str) {
        match self {
            Field::Title => ("Title", "text"),
            Field::Description => ("Description", "textarea"),
            Field::DurationMinutes => ("Length in minutes", "number"),
            Field::Capacity => ("Places per session", "number"),
            Field::JoinUrl => ("Join link", "url"),
            Field::OrganizerName => ("Organizer's name (in calendar invitations)", "text"),
            Field::OrganizerEmail => ("Organizer's e-mail (in calendar invitations)", "email"),
        }
    }

    /// Its value in `d`, as a form shows it (and as two values compare).
    pub fn text(self, d: &Defaults) -> String {
        match self {
            Field::Title => d.title.clone(),
            Field::Description => d.description.clone(),
            Field::DurationMinutes => d.duration_minutes.to_string(),
            Field::Capacity => d.capacity.to_string(),
            Field::JoinUrl => d.join_url.clone(),
            Field::OrganizerName => d.organizer_name.clone(),
            Field::OrganizerEmail => d.organizer_email.clone(),
        }
    }

    /// Copies its value from `from` into `to`.
    pub fn copy(self, from: &Defaults, to: &mut Defaults) {
        match self {
            Field::Title => to.title.clone_from(&from.title),
            Field::Description => to.description.clone_from(&from.description),
            Field::DurationMinutes => to.duration_minutes = from.duration_minutes,
            Field::Capacity => to.capacity = from.capacity,
            Field::JoinUrl => to.join_url.clone_from(&from.join_url),
            Field::OrganizerName => to.organizer_name.clone_from(&from.organizer_name),
            Field::OrganizerEmail => to.organizer_email.clone_from(&from.organizer_email),
        }
    }
}

/// Every field's name, for messages.
pub fn field_names() -> String {
    Field::ALL.map(Field::name).join(", ")
}

/// The editable defaults of a series: its row's, or config's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = SeriesDefaults)]
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

/// The fields a series row's `edited_fields` names (unknown names, which
/// only a newer version could have written, are passed over).
pub fn edited_of(series: &Series) -> Vec<Field> {
    series
        .edited()
        .into_iter()
        .filter_map(Field::parse)
        .collect()
}

/// As stored: `,title,capacity,`, so `LIKE '%,title,%'` matches exactly
/// one name; empty when config owns every default.
pub fn encode(fields: &[Field]) -> String {
    if fields.is_empty() {
        return String::new();
    }
    format!(
        ",{},",
        fields
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(",")
    )
}
