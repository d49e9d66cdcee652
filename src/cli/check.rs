//! `convene check`: whether the settings reach what they name, one line
//! each: the database, the mail server (greeting, TLS and sign-in; nothing
//! is sent) and the archive's store (a small object written, read back and
//! removed). It fails when any of them cannot be reached.

use diesel::connection::SimpleConnection;

use crate::config::{Settings, StoreKind};
use crate::db::{self, DbError};
use crate::mail::transport::Mailer;
use crate::storage::Storage;

pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let checks = [
        ("database", database(settings).await),
        ("mail", Mailer::check(&settings.mail).await),
        ("archive", archive(settings).await),
    ];
    let mut failed = Vec::new();
    for (name, result) in &checks {
        match result {
            Ok(reached) => println!("ok      {name:<9} {reached}"),
            Err(why) => {
                // One line each, whatever the driver wrote.
                let why = why.split_whitespace().collect::<Vec<_>>().join(" ");
                println!("FAILED  {name:<9} {why}");
                failed.push(*name);
            }
        }
    }
    match failed.as_slice() {
        [] => Ok(()),
        names => anyhow::bail!("cannot reach: {}", names.join(", ")),
    }
}

async fn database(settings: &Settings) -> Result<String, String> {
    let database = settings.database.clone();
    // One connection, not the served pool with its threads.
    let reached = tokio::task::spawn_blocking(move || -> Result<(), DbError> {
        let (mut conn, _) = db::reach(&database)?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    })
    .await
    .map_err(|e| e.to_string())?;
    reached
        .map(|()| format!("{:?}", settings.database.url))
        .map_err(|e| e.to_string())
}

async fn archive(settings: &Settings) -> Result<String, String> {
    let archive = &settings.archive;
    let storage = Storage::open(archive).map_err(|e| e.to_string())?;
    storage.probe().await.map_err(|e| e.to_string())?;
    Ok(match archive.store {
        StoreKind::Local => format!("folder {}", archive.dir.display()),
        StoreKind::S3 => match archive.s3.endpoint.as_str() {
            "" => format!("S3 bucket {}", archive.s3.bucket),
            endpoint => format!("S3 bucket {} at {endpoint}", archive.s3.bucket),
        },
    })
}
