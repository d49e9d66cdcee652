//! `convene list import` (subscribers whose consent was given elsewhere,
//! from a CSV file, with a progress bar) and `convene list export` (the
//! confirmed ones, as CSV).

use std::io::Write;

use anyhow::Context;

use super::{migrate, plain};
use crate::audit::Actor;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db;
use crate::lists::import::{self, Asked, Imported};

pub(super) async fn import(
    settings: &Settings,
    list: &str,
    file: &std::path::Path,
    consent: &str,
    strict: bool,
) -> anyhow::Result<()> {
    let asked = Asked::new(&settings.lists, list, Some(consent), strict).map_err(plain)?;
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    let mut settings = settings.clone();
    settings.database.pool_size = settings.database.pool_size.min(2);
    let pool = migrate(&settings).await?;
    // The bar follows the bytes read: a strict import reads the file twice.
    let passes = if strict { 2 } else { 1 };
    let bar = indicatif::ProgressBar::new(size * passes).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (shown, path) = (bar.clone(), file.to_path_buf());
    let done = import::import(
        &pool,
        settings.link_key().clone(),
        Actor::cli(),
        asked,
        move || std::fs::File::open(&path).map(|f| shown.wrap_read(f)),
        Clock::system().naive(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), plain(e)))?;
    bar.finish_and_clear();
    print!("{}", summary(&done));
    Ok(())
}

/// What an import did, for a terminal.
fn summary(done: &Imported) -> String {
    let mut out = format!(
        "{} row(s) read into list `{}`: {} added as confirmed subscribers, {} already subscribed, {} kept unsubscribed, {} repeated address(es), {} refused. No e-mail was sent.\n",
        done.rows, done.list, done.added, done.already_subscribed, done.kept_unsubscribed,
        done.duplicates, done.refused
    );
    for bad in &done.refused_rows {
        out.push_str(&format!("line {}: {}\n", bad.line, bad.message));
    }
    let more = done.refused - done.refused_rows.len();
    if more > 0 {
        out.push_str(&format!("… and {more} more refused row(s).\n"));
    }
    out
}

pub(super) async fn export(
    settings: &Settings,
    list: &str,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    anyhow::ensure!(settings.lists.contains_key(list), "no list `{list}`");
    let mut settings = settings.clone();
    settings.database.pool_size = settings.database.pool_size.min(2);
    let pool = migrate(&settings).await?;
    let (name, now) = (list.to_string(), Clock::system().naive());
    let rows = db::write(&pool, move |conn| {
        crate::lists::export::audited(conn, &Actor::cli(), &name, now).map_err(db::DbError::from)
    })
    .await?;
    let body = crate::lists::export::csv(&rows)?;
    match output {
        Some(path) => {
            std::fs::write(path, &body).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "{} subscriber(s) written to {}.",
                rows.len(),
                path.display()
            );
        }
        None => std::io::stdout().write_all(&body)?,
    }
    Ok(())
}
