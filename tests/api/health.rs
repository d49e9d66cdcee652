use crate::helpers::{create_user, token, TestApp};
use convene::auth::Role;

#[tokio::test]
async fn healthz_and_readyz_answer_200_when_the_database_is_up() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200, "healthz");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200, "readyz");
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn metrics_count_requests_registrations_and_the_outbox() {
    let app = TestApp::spawn_with(|s| s.jobs.run_in_serve = false).await;
    let session = app.next_jam().await;
    app.register_ok(session, "metrics@example.org").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains("convene_http_requests_total{method=\"POST\",status=\"303\"} 1"),
        "request counter missing:\n{text}"
    );
    assert!(
        text.contains("convene_registrations_total{outcome=\"registered\"} 1"),
        "registration counter missing:\n{text}"
    );
    assert!(
        text.contains("convene_outbox_depth 1"),
        "the unsent confirmation should be counted:\n{text}"
    );
    assert!(
        text.contains("convene_mails_sent_total 0"),
        "no worker runs, so nothing is sent:\n{text}"
    );
}

#[tokio::test]
async fn metrics_time_each_request_under_its_route_pattern_never_its_path() {
    let app = TestApp::spawn_with(|s| s.jobs.run_in_serve = false).await;
    let session = app.next_jam().await;
    app.register_ok(session, "timed@example.org").await;
    app.get(&format!("/sessions/{session}")).await;
    app.get("/no/such/page").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    for (method, route) in [
        ("POST", "/sessions/{id}/register"),
        ("GET", "/sessions/{id}"),
        ("GET", "(unmatched)"),
    ] {
        let count = format!(
            "convene_http_request_duration_seconds_count{{method=\"{method}\",route=\"{route}\"}} 1"
        );
        assert!(
            text.contains(&count),
            "no histogram for {method} {route}:\n{text}"
        );
    }
    let bucket = "convene_http_request_duration_seconds_bucket{method=\"GET\",route=\"/sessions/{id}\",le=\"+Inf\"} 1";
    assert!(text.contains(bucket), "the histogram has buckets:\n{text}");
    assert!(
        !text.contains(&format!("route=\"/sessions/{session}")),
        "a raw path must never be a label:\n{text}"
    );
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/nothing-here").await;
    assert_eq!(response.status().as_u16(), 404);
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn an_unknown_page_is_an_html_404() {
    let app = TestApp::spawn().await;
    let response = app.get("/sessions/999999").await;
    assert_eq!(response.status().as_u16(), 404);
    assert!(response.text().await.unwrap().contains("Page not found"));
    assert_eq!(
        app.get("/sessions/not-a-number").await.status().as_u16(),
        404
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route_and_the_docs_page_shows_it() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value = app
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .expect("JSON");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/sessions", "get"),
        ("/api/v1/auth/token", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/me", "get"),
        ("/api/v1/organizer/sessions", "post"),
        ("/api/v1/organizer/sessions/{id}", "patch"),
        ("/api/v1/organizer/sessions/{id}/reschedule", "post"),
        ("/api/v1/organizer/sessions/{id}/cancel", "post"),
        ("/api/v1/organizer/sessions/{id}/message", "post"),
        ("/api/v1/working-groups", "get"),
        ("/api/v1/working-groups/{lever}", "get"),
        ("/api/v1/working-groups/{lever}/members.csv", "get"),
        ("/api/v1/working-groups/members/{id}/contacted", "post"),
        ("/api/v1/working-groups/{lever}/message", "post"),
        ("/api/v1/organizer/series", "get"),
        ("/api/v1/organizer/series", "post"),
        ("/api/v1/organizer/series/{slug}", "get"),
        ("/api/v1/organizer/series/{slug}", "patch"),
        ("/api/v1/organizer/series/{slug}/questions", "get"),
        ("/api/v1/organizer/series/{slug}/questions", "put"),
        ("/api/v1/audit", "get"),
        ("/api/v1/organizer/outbox", "get"),
        ("/api/v1/organizer/outbox/{id}/retry", "post"),
        ("/api/v1/organizer/proposals", "get"),
        ("/api/v1/organizer/proposals/{id}/decline", "post"),
        ("/api/v1/organizer/proposals/{id}/accept", "post"),
        ("/api/v1/organizer/sessions/{id}/registrations", "get"),
        ("/api/v1/organizer/sessions/{id}/registrations", "post"),
        ("/api/v1/organizer/sessions/{id}/registrations.csv", "get"),
        ("/api/v1/organizer/registrations/{id}/cancel", "post"),
        ("/api/v1/organizer/registrations/{id}/promote", "post"),
        ("/api/v1/organizer/people/export", "get"),
        ("/api/v1/organizer/people/erase", "post"),
        ("/api/v1/organizer/sessions/{id}/lineup", "get"),
        ("/api/v1/organizer/sessions/{id}/lineup", "post"),
        ("/api/v1/organizer/sessions/{id}/levers", "put"),
        ("/api/v1/organizer/lineup/{slot_id}", "patch"),
        ("/api/v1/organizer/lineup/{slot_id}/invite", "post"),
        ("/api/v1/sessions/{id}/attendance", "get"),
        ("/api/v1/sessions/{id}/attendance/{format}", "post"),
        ("/api/v1/sessions/{id}/attendance/mark", "post"),
        ("/api/v1/sessions/{id}/metrics", "get"),
        ("/api/v1/sessions/{id}/metrics.csv", "get"),
        ("/api/v1/series/{slug}/metrics", "get"),
        ("/api/v1/series/{slug}/metrics.csv", "get"),
        ("/api/v1/series/{slug}/feedback", "get"),
        ("/api/v1/series/{slug}/feedback.csv", "get"),
        ("/api/v1/echo/cohorts", "get"),
        ("/api/v1/echo/cohorts", "post"),
        ("/api/v1/echo/cohorts/{slug}", "get"),
        ("/api/v1/echo/cohorts/{slug}", "patch"),
        ("/api/v1/echo/cohorts/{slug}/applications", "get"),
        ("/api/v1/echo/sessions/{id}", "patch"),
        ("/api/v1/echo/applications/{id}/decision", "post"),
        ("/api/v1/echo/applications/{id}/link", "post"),
        ("/api/v1/echo/applications/{id}/link", "delete"),
        ("/api/v1/echo/cohorts/{slug}/cases", "get"),
        ("/api/v1/echo/cases/{id}", "get"),
        ("/api/v1/echo/cases/{id}/attachment", "get"),
        ("/api/v1/echo/cases/{id}/review", "post"),
        ("/api/v1/echo/cases/{id}/recommendations", "put"),
        ("/api/v1/echo/cohorts/{slug}/completion", "get"),
        ("/api/v1/echo/cohorts/{slug}/completion.csv", "get"),
        ("/api/v1/echo/cohorts/{slug}/facilitators", "post"),
        (
            "/api/v1/echo/cohorts/{slug}/facilitators/{user_id}",
            "delete",
        ),
        ("/api/v1/sessions/{id}/materials", "get"),
        ("/api/v1/sessions/{id}/materials", "post"),
        ("/api/v1/materials/{id}", "patch"),
        ("/api/v1/materials/{id}", "delete"),
        ("/api/v1/lists/{slug}/import", "post"),
        ("/api/v1/lists/{slug}/export", "get"),
    ] {
        let op = &paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} undocumented"))[method];
        assert!(op.is_object(), "{method} {path} undocumented");
        // Every documented route answers (not the catch-all 404).
        let url = format!(
            "{}{}",
            app.address,
            path.replace("{id}", "1")
                .replace("{slot_id}", "1")
                .replace("{user_id}", "1")
                .replace("{slug}", "jam")
                .replace("{format}", "zoom")
        );
        let response = app
            .client
            .request(method.to_uppercase().parse().unwrap(), url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        assert_ne!(
            body["error"]["message"], "No such resource.",
            "{method} {path} is not routed"
        );
        if path.contains("organizer")
            || path.contains("audit")
            || path.contains("echo")
            || path.contains("attendance")
            || path.contains("metrics")
            || path.contains("feedback")
            || path.contains("materials")
        {
            assert_eq!(op["security"][0]["bearer"], serde_json::json!([]), "{path}");
        }
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(
        doc["components"]["schemas"]["SeriesPatch"]["properties"]["reset"].is_object(),
        "the series PATCH body has its own name"
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let page = app.get("/api/v1/docs").await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<code>POST /api/v1/auth/token</code>"));
    assert!(html.contains("<code>GET /api/v1/organizer/sessions/{id}/registrations.csv</code>"));
    assert!(html.contains("<code>PATCH /api/v1/organizer/lineup/{slot_id}</code>"));
    assert!(html.contains("id=\"schema-ErrorBody\""));
    let series_view = html
        .split("id=\"schema-SeriesView\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("SeriesView described");
    for field in ["title", "capacity", "edited", "config", "upcoming_sessions"] {
        assert!(
            series_view.contains(&format!("<code>{field}</code>")),
            "a flattened struct's fields are listed too: `{field}` in {series_view}"
        );
    }
}

#[tokio::test]
async fn an_api_path_or_query_that_cannot_be_read_is_answered_in_json() {
    let app = TestApp::spawn().await;
    create_user(&app, "reader@example.org", Role::Organizer);
    let t = token(&app, "reader@example.org").await;
    for (path, status) in [
        // A path parameter that is no number names no session.
        ("/api/v1/organizer/sessions/not-a-number/registrations", 404),
        // A query field given twice cannot be read.
        ("/api/v1/organizer/sessions/1/registrations?q=a&q=b", 400),
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with("application/json"),
            "{path} answers JSON, not {content_type}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    }
    let page = app.get("/sessions/not-a-number").await;
    assert_eq!(page.status().as_u16(), 404, "pages keep their 404");
}
