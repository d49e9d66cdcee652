//! The command line: `serve`, `worker`, `migrate`. `main.rs` parses and
//! calls `run`.

use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing::info;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db;
use crate::jobs::{self, Workers};
use crate::telemetry::Metrics;
use crate::Application;

#[derive(Debug, Parser)]
#[command(
    name = "convene",
    version,
    about = "Event and webinar operations for the Workforce Solutions Jam and ECHO"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP and run the background workers.
    Serve,
    /// Run only the background workers (mail, scheduler); start several to scale out.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Migrate => migrate(&settings).await.map(|_| ()),
            Command::Serve => serve(settings).await,
            Command::Worker => worker(settings).await,
        }
    })
}

async fn migrate(settings: &Settings) -> anyhow::Result<db::Pool> {
    let database = settings.database.clone();
    let (pool, applied) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let pool = db::connect(&database).context("database")?;
        let applied = db::migrate(&pool)?;
        Ok((pool, applied))
    })
    .await??;
    if applied.is_empty() {
        info!(
            backend = settings.database.url.backend(),
            "database schema is up to date"
        );
    } else {
        info!(
            backend = settings.database.url.backend(),
            ?applied,
            "applied migrations"
        );
    }
    Ok(pool)
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    migrate(&settings).await?;
    let app = Application::build(settings.clone()).await?;
    info!(
        bind = %settings.http.bind,
        port = app.port(),
        public_url = settings.http.public_url.as_str(),
        mail = ?settings.mail.transport,
        "convene is serving"
    );
    app.run_until_stopped().await?;
    Ok(())
}

async fn worker(settings: Settings) -> anyhow::Result<()> {
    let settings = Arc::new(settings);
    let pool = migrate(&settings).await?;
    let clock = Clock::system();
    jobs::sync_series(&pool, settings.clone(), clock.now()).await?;
    let workers = Workers::start(settings, pool, Arc::new(Metrics::new()), clock)?;
    info!("convene worker is running");
    shutdown_signal().await;
    info!("stopping");
    workers.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
