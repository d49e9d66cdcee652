//! Reading the ECHO's JSON bodies and forms: a message per field that
//! does not parse, whole numbers, bounded text.

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
