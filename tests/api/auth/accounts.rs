//! Accounts made and disabled at the command line.

use super::{code, get_as};
use crate::helpers::{run_convene, token, token_response, with_conn, TestApp, PASSWORD};

/// `convene user …` with `stdin` piped in: (succeeded, stdout + stderr).
async fn convene_user(app: &TestApp, args: &[&str], stdin: &str) -> (bool, String) {
    let run = run_convene(app, args, stdin).await;
    (run.ok, run.stdout + &run.stderr)
}

#[tokio::test]
async fn accounts_made_and_disabled_at_the_command_line_sign_in_and_are_revoked() {
    let app = TestApp::spawn().await;
    let (ok, out) = convene_user(
        &app,
        &[
            "user",
            "create",
            "--email",
            "New@Example.org",
            "--name",
            "New Organizer",
            "--role",
            "organizer",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    )
    .await;
    assert!(ok, "{out}");
    let (ok, out) = convene_user(
        &app,
        &[
            "user",
            "create",
            "--email",
            "short@example.org",
            "--name",
            "S",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "short\n",
    )
    .await;
    assert!(!ok && out.contains("at least 12 characters"), "{out}");

    let t = token(&app, "new@example.org").await;
    assert_eq!(get_as(&app, "/api/v1/auth/me", Some(&t)).await.0, 200);

    // Signing out revokes the token.
    let out = app
        .client
        .post(format!("{}/api/v1/auth/logout", app.address))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    let (status, body) = get_as(&app, "/api/v1/auth/me", Some(&t)).await;
    assert_eq!((status, code(&body)), (401, "token_revoked"));

    // Disabling revokes a fresh one too, and sign-in is refused.
    let t = token(&app, "new@example.org").await;
    let (ok, out) =
        convene_user(&app, &["user", "disable", "--email", "new@example.org"], "").await;
    assert!(ok, "{out}");
    let (status, body) = get_as(&app, "/api/v1/auth/me", Some(&t)).await;
    assert_eq!((status, code(&body)), (401, "token_revoked"));
    assert_eq!(
        token_response(&app, "new@example.org", PASSWORD)
            .await
            .status()
            .as_u16(),
        401
    );
    let audit: Vec<String> = with_conn(&app.pool, |c| {
        use convene::db::schema::audit_log::dsl::*;
        use diesel::prelude::*;
        audit_log.order(id).select(action).load(c).unwrap()
    });
    assert_eq!(audit, vec!["user.create", "user.disable"]);
}
