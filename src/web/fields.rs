//! Form input refused field by field, and a form's select options.

use serde::Serialize;
use serde_json::json;

/// One message per field, in form order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The form's select options with the posted value selected.
pub fn options(list: &[(&str, &str)], selected: &str) -> Vec<serde_json::Value> {
    list.iter()
        .map(|(value, label)| json!({ "value": value, "label": label, "selected": *value == selected }))
        .collect()
}
