//! Handlebars template sets embedded in the binary (read from disk in debug
//! builds, so editing a template needs no rebuild). Strict mode: a missing
//! value is an error, not an empty string.

use handlebars::Handlebars;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "templates/"]
pub struct PageFiles;

#[derive(RustEmbed)]
#[folder = "email_templates/"]
pub struct EmailFiles;

/// Registers every `*.hbs` file of `E` under its path without the
/// extension (`registration_confirmed/html`), HTML-escaping or not.
pub fn load<E: RustEmbed>(
    html_escape: bool,
) -> Result<Handlebars<'static>, handlebars::TemplateError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    if !html_escape {
        hb.register_escape_fn(handlebars::no_escape);
    }
    for path in E::iter() {
        let Some(name) = path.strip_suffix(".hbs") else {
            continue;
        };
        let file = E::get(&path).expect("embedded file listed by iter");
        let text = String::from_utf8_lossy(&file.data);
        hb.register_template_string(name, text)?;
    }
    Ok(hb)
}

#[derive(RustEmbed)]
#[folder = "static/"]
pub struct StaticFiles;
