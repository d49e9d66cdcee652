//! Private links are stored as hashes and sealed copies: a copy of the
//! database alone opens no one's registration, and links sent before the
//! change keep working.

use crate::helpers::{run_convene, with_conn, TestApp};
use convene::db::schema::{outbox, registrations, subscriptions};
use diesel::prelude::*;

fn manage_token(path: &str) -> String {
    path.trim_start_matches("/r/").to_string()
}

#[tokio::test]
async fn the_database_holds_no_link_token_only_its_hash_and_a_sealed_copy() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    let token = manage_token(&app.register_ok(session, "kept@example.org").await);
    let mail = app.smtp.wait_for("kept@example.org", 1).await.remove(0);
    assert_eq!(
        mail.manage_path(),
        format!("/r/{token}"),
        "the e-mail carries the working link"
    );

    let (hash, sealed, contexts): (String, Option<String>, Vec<String>) =
        with_conn(&app.pool, |c| {
            let (hash, sealed) = registrations::table
                .select((registrations::token_hash, registrations::token_sealed))
                .first::<(String, Option<String>)>(c)
                .unwrap();
            let contexts = outbox::table.select(outbox::context).load(c).unwrap();
            (hash, sealed, contexts)
        });
    assert_eq!(
        hash,
        convene::web::links::hash(&token),
        "lookups are by SHA-256"
    );
    let sealed = sealed.expect("a sealed copy for later mail");
    assert!(
        !sealed.contains(&token) && !hash.contains(&token),
        "the token itself is not stored"
    );
    assert!(
        contexts.iter().all(|c| !c.contains(&token)),
        "queued mail holds a placeholder, not the token: {contexts:?}"
    );
    let other_key = convene::web::links::LinkKey::from_secret("a stolen copy has no key");
    assert_ne!(
        other_key.open(&sealed).as_deref(),
        Some(token.as_str()),
        "without the key the sealed copy opens to nothing useful"
    );
    assert_eq!(app.get(&format!("/r/{token}")).await.status().as_u16(), 200);
    assert_eq!(
        app.get(&format!("/r/{hash}")).await.status().as_u16(),
        404,
        "the stored hash is not itself a link"
    );
}

#[tokio::test]
async fn links_sent_before_hashing_keep_working_after_migrate() {
    let app = TestApp::spawn().await;
    let session = app.next_jam().await;
    app.register_ok(session, "old@example.org").await;
    app.smtp.wait_for("old@example.org", 1).await;
    app.subscribe_confirmed("old@example.org", &["jam"]).await;
    // As the rows were before the migration: the token itself, no seal.
    let (old_manage, old_unsubscribe) = (
        "0123456789abcdef0123456789abcdef01234567",
        "89abcdef0123456789abcdef0123456789abcdef",
    );
    with_conn(&app.pool, |c| {
        diesel::update(registrations::table)
            .set((
                registrations::token_hash.eq(old_manage),
                registrations::token_sealed.eq(None::<String>),
            ))
            .execute(c)
            .unwrap();
        diesel::update(subscriptions::table)
            .set((
                subscriptions::token_hash.eq(old_unsubscribe),
                subscriptions::token_sealed.eq(None::<String>),
            ))
            .execute(c)
            .unwrap();
    });
    assert_eq!(
        app.get(&format!("/r/{old_manage}")).await.status().as_u16(),
        404,
        "before the conversion an unhashed token finds nothing"
    );

    let run = run_convene(&app, &["migrate"], "").await;
    assert!(run.ok, "migrate: {}", run.stderr);

    assert_eq!(
        app.get(&format!("/r/{old_manage}")).await.status().as_u16(),
        200,
        "the manage link already sent works"
    );
    assert_eq!(
        app.get(&format!("/u/{old_unsubscribe}"))
            .await
            .status()
            .as_u16(),
        200,
        "the unsubscribe link already sent works"
    );
    let (hash, sealed) = with_conn(&app.pool, |c| {
        registrations::table
            .select((registrations::token_hash, registrations::token_sealed))
            .first::<(String, Option<String>)>(c)
            .unwrap()
    });
    assert_eq!(hash, convene::web::links::hash(old_manage));
    assert_eq!(
        crate::helpers::open_link(&app, &sealed.expect("sealed now")),
        old_manage,
        "later mail can carry the same link"
    );
    let again = run_convene(&app, &["migrate"], "").await;
    assert!(again.ok, "a second run changes nothing: {}", again.stderr);
    assert_eq!(
        app.get(&format!("/r/{old_manage}")).await.status().as_u16(),
        200
    );
}
