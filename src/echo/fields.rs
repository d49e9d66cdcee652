//! Reading the ECHO's JSON bodies and forms: a message per field that
//! does not parse, numbers sent as numbers or as text, bounded text.

use serde::Deserialize;

/// Collects a message per field that does not parse.
pub(crate) struct Fields(pub(crate) Vec<(String, String)>);

impl Fields {
    pub(crate) fn parse<T>(
        &mut self,
        name: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(value?.trim()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push((name.to_string(), e));
                None
            }
        }
    }

    pub(crate) fn required<T>(
        &mut self,
        name: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        if value.is_none_or(|v| v.trim().is_empty()) {
            self.0
                .push((name.to_string(), format!("`{name}` is required")));
            return None;
        }
        self.parse(name, value, parse)
    }
}

/// A number field a JSON client may send as a number or as text (forms
/// send text).
pub(crate) fn text_or_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(other) => Some(other.to_string()),
    })
}

/// Text of at most `max` characters.
pub(crate) fn at_most(max: usize) -> impl Fn(&str) -> Result<String, String> {
    move |s| {
        if s.chars().count() > max {
            Err(format!("at most {max} characters"))
        } else {
            Ok(s.to_string())
        }
    }
}

pub(crate) fn number(s: &str) -> Result<i32, String> {
    s.parse()
        .map_err(|_| format!("`{s}` is not a whole number"))
}
