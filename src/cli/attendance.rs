//! The attendance commands: `convene report` (a series' measures as a
//! table) and `convene import` (a report file into a session, or only
//! checked).

use anyhow::Context;

use super::migrate;
use crate::attendance::import::{self as importing, Asked, Imported};
use crate::audit::Actor;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db;

pub(super) async fn report(
    settings: &Settings,
    slug: &str,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    let mut settings = settings.clone();
    settings.database.pool_size = settings.database.pool_size.min(2);
    let pool = migrate(&settings).await?;
    let to = to.map_or_else(
        || Clock::system().naive(),
        |d| d.and_time(chrono::NaiveTime::MIN),
    );
    let from = from.map_or(to - chrono::Duration::days(365), |d| {
        d.and_time(chrono::NaiveTime::MIN)
    });
    let name = slug.to_string();
    let (points, baseline) = db::run(&pool, move |conn| {
        let series = crate::series::model::find_series(conn, &name)?;
        match series {
            Some(series) => {
                let baseline = series.usual_registrants();
                crate::attendance::measures::for_series(conn, series.id, from, to, baseline)
                    .map(|points| Some((points, baseline)))
                    .map_err(db::DbError::from)
            }
            None => Ok(None),
        }
    })
    .await?
    .with_context(|| format!("no series `{slug}`"))?;
    print!("{}", crate::attendance::exports::table(&points, baseline));
    Ok(())
}

/// What `convene import` is asked: the format (`auto` or a family), the
/// date order for ambiguous files, a dry run or not.
pub(super) fn asked(
    format: &str,
    date_order: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<Asked> {
    Ok(Asked {
        format: Asked::format(format).map_err(anyhow::Error::msg)?,
        date_order: Asked::date_order(date_order).map_err(anyhow::Error::msg)?,
        dry_run,
    })
}

pub(super) async fn import(
    settings: &Settings,
    asked: Asked,
    file: &std::path::Path,
    session_id: i64,
) -> anyhow::Result<()> {
    use sha2::Digest;
    let read = || std::fs::File::open(file).with_context(|| format!("reading {}", file.display()));
    let mut hash = sha2::Sha256::new();
    let size = std::io::copy(&mut read()?, &mut hash)
        .with_context(|| format!("reading {}", file.display()))?;
    let sha256 = format!("{:x}", hash.finalize());
    let mut settings = settings.clone();
    settings.database.pool_size = settings.database.pool_size.min(2);
    let pool = migrate(&settings).await?;
    // The bar follows the bytes read as the file is written (from the
    // start again in the rare file read twice: `importing::import`).
    let bar = indicatif::ProgressBar::new(size).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (shown, now, path) = (bar.clone(), Clock::system().naive(), file.to_path_buf());
    let done = db::write(&pool, move |conn| {
        let (session, _) = crate::series::model::session_or_404(conn, session_id)?;
        let open = || {
            shown.set_position(0);
            std::fs::File::open(&path).map(|f| shown.wrap_read(f))
        };
        importing::import(conn, &Actor::cli(), &session, asked, open, &sha256, now)
    })
    .await
    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    bar.finish_and_clear();
    print!("{}", import_summary(&done, session_id));
    Ok(())
}

/// What an import did (or would do), for a terminal.
fn import_summary(done: &Imported, session_id: i64) -> String {
    let order = match done.date_order_from.as_str() {
        "file" => "a date in the file reads only that way",
        "asked" => "as asked: no date in the file settles it",
        _ => "the default: no date in the file settles it",
    };
    let mut out = format!(
        "{} ({}); dates read {} ({order}).\n",
        capitalized(&done.report),
        done.source,
        done.date_order
    );
    if done.unchanged {
        out.push_str(&format!(
            "This file is session {session_id}'s current import (import {}): nothing changed.\n",
            done.import_id
        ));
        return out;
    }
    out.push_str(&format!(
        "{} people from {} row(s) ({} merged): {} attended, {} of them registered here, {} walk-in(s); {} staff (hosts and panelists, apart); {} registrant(s) found in the report.\n",
        done.people, done.rows, done.rows_merged, done.attended, done.registered_here,
        done.walk_ins, done.staff, done.registrants_matched
    ));
    if done.without_address > 0 {
        out.push_str(&format!(
            "{} row(s) without an address (dial-ins, anonymous guests) could not be matched to anyone and are left out.\n",
            done.without_address
        ));
    }
    if let Some(viewers) = done.unique_viewers {
        out.push_str(&format!(
            "The report's own count of unique viewers: {viewers}.\n"
        ));
    }
    out.push_str(&if done.dry_run {
        format!(
            "Dry run: nothing was written (importing would replace {} earlier row(s)).\n",
            done.replaced
        )
    } else {
        format!(
            "Imported into session {session_id}; {} earlier row(s) replaced.\n",
            done.replaced
        )
    });
    out
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}
