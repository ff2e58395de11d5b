//! Listing and revoking API tokens over the API.

use crate::helpers::TestApp;
use baton_core::domain::Role;
use serde_json::Value;

/// The ids of the working tokens `token` may see, with their holders.
async fn listed(app: &TestApp, token: &str) -> Vec<(i64, i64)> {
    let tokens = app.get_json(token, "/api/v1/tokens").await;
    tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_i64().unwrap(), t["holder_id"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn people_list_their_own_tokens_and_an_owner_lists_every_one() {
    let app = TestApp::new().await;
    let (hal, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let mine = listed(&app, &hunter).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].1, hal);
    let every = listed(&app, &app.owner).await;
    assert_eq!(every.len(), 2);
    assert!(every.contains(&mine[0]));
    let body = app
        .get(&app.owner, "/api/v1/tokens")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !body.contains(&hunter) && !body.contains(&app.owner),
        "secrets never listed"
    );
}

#[tokio::test]
async fn a_revoked_token_gets_401_at_once() {
    let app = TestApp::new().await;
    let (hal, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let spare = app.db.create_api_token(None, hal, "spare").await.unwrap();
    // Used once, so the token cache holds it.
    assert_eq!(app.get(&spare, "/api/v1/me").await.status(), 200);
    let spare_id = listed(&app, &spare)
        .await
        .iter()
        .map(|t| t.0)
        .max()
        .unwrap();
    let path = format!("/api/v1/tokens/{spare_id}");
    assert_eq!(app.delete(&hunter, &path).await.status(), 204);
    assert_eq!(app.get(&spare, "/api/v1/me").await.status(), 401);
    assert_eq!(app.delete(&hunter, &path).await.status(), 404);
    assert_eq!(listed(&app, &hunter).await.len(), 1);

    let own_id = listed(&app, &hunter).await[0].0;
    let path = format!("/api/v1/tokens/{own_id}");
    assert_eq!(app.delete(&app.owner, &path).await.status(), 204);
    assert_eq!(app.get(&hunter, "/api/v1/me").await.status(), 401);
}

#[tokio::test]
async fn a_hunter_cannot_revoke_another_persons_token() {
    let app = TestApp::new().await;
    let (_, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    let owners = listed(&app, &app.owner).await;
    let (owner_token, _) = owners.iter().min().unwrap();
    let response = app
        .delete(&hunter, &format!("/api/v1/tokens/{owner_token}"))
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(app.get(&app.owner, "/api/v1/me").await.status(), 200);
}

#[tokio::test]
async fn the_openapi_document_lists_queue_and_token_administration() {
    let app = TestApp::new().await;
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, method) in [
        ("/api/v1/queues/{id}", "patch"),
        ("/api/v1/queues/{id}/members/{user_id}", "patch"),
        ("/api/v1/queues/{id}/members/{user_id}", "delete"),
        ("/api/v1/tokens", "get"),
        ("/api/v1/tokens/{id}", "delete"),
        ("/api/v1/forms/{slug}", "patch"),
        ("/api/v1/webhooks/{id}", "patch"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
}

#[tokio::test]
async fn a_token_records_when_it_was_last_used() {
    let app = TestApp::new().await;
    let (hal, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    app.db.create_api_token(None, hal, "spare").await.unwrap();
    let before = baton_db::now_ms();
    let tokens = once_recorded(&app, &hunter).await;
    let used = |name: &str| {
        tokens["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["last_used_at"].clone())
            .unwrap()
    };
    assert!(used("spare").is_null(), "never used");
    assert!(
        used("tests").as_i64().unwrap() >= before,
        "this request used it: {tokens}"
    );
}

#[tokio::test]
async fn a_request_with_a_token_does_not_wait_for_a_write_lock_held_elsewhere() {
    let app = TestApp::new().await;
    let (hal, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    // Another writer holds the lock the token's last use would need.
    let mut held = app.db.begin_write().await.unwrap();
    if app.db.backend() == baton_db::Backend::Postgres {
        sqlx::query("LOCK TABLE api_tokens IN EXCLUSIVE MODE")
            .execute(&mut *held)
            .await
            .unwrap();
    }
    let started = std::time::Instant::now();
    let me = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&hunter)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["id"], hal);
    // Well short of the 10 s the lock would be waited for.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    held.rollback().await.unwrap();
    let tokens = once_recorded(&app, &hunter).await;
    assert!(tokens["items"][0]["last_used_at"].is_i64(), "{tokens}");
}

#[tokio::test]
async fn requests_arriving_together_with_an_unchecked_token_are_each_answered() {
    let app = TestApp::new().await;
    let (hal, hunter) = app.user("hal@acme.test", Role::Hunter).await;
    // Not yet in the token cache: all of them find it missing at once and
    // read it, and the first to hold it records its use.
    let requests: Vec<_> = (0..32)
        .map(|_| {
            let request = app.client.get(app.url("/api/v1/me")).bearer_auth(&hunter);
            tokio::spawn(async move { request.send().await.unwrap() })
        })
        .collect();
    for request in requests {
        let me: Value = request.await.unwrap().json().await.unwrap();
        assert_eq!(me["id"], hal, "{me}");
    }
    let tokens = once_recorded(&app, &hunter).await;
    assert!(tokens["items"][0]["last_used_at"].is_i64(), "{tokens}");
}

/// The caller's tokens once the use of the one named `tests` is recorded,
/// which happens beside a request, not in its way (a second at most).
async fn once_recorded(app: &TestApp, token: &str) -> Value {
    let mut tokens = app.get_json(token, "/api/v1/tokens").await;
    for _ in 0..50 {
        let recorded = tokens["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "tests" && t["last_used_at"].is_i64());
        if recorded {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        tokens = app.get_json(token, "/api/v1/tokens").await;
    }
    tokens
}

/// Every page of `path`, `limit` at a time, following the cursor.
async fn pages(app: &TestApp, path: &str, limit: usize, key: &str) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(&app.owner, &format!("{path}?limit={limit}&cursor={cursor}"))
            .await;
        pages.push(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item[key].as_i64().unwrap())
                .collect(),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn short_lists_page_with_a_cursor_like_every_list() {
    let app = TestApp::new().await;
    let owner = app.db.user_by_email("owner@acme.test").await.unwrap().id;
    for name in ["ci", "warehouse", "zapier"] {
        app.db.create_api_token(None, owner, name).await.unwrap();
    }
    // Newest first: the three spare tokens, then the one the tests use.
    let tokens = pages(&app, "/api/v1/tokens", 2, "id").await;
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    let ids = tokens.concat();
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");

    // The six default queues, oldest first, four to a page.
    let queues = pages(&app, "/api/v1/queues", 4, "id").await;
    assert_eq!(queues.iter().map(Vec::len).collect::<Vec<_>>(), [4, 2]);
    let ids = queues.concat();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    let refused = app.get(&app.owner, "/api/v1/teams?cursor=soon").await;
    assert_eq!(refused.status(), 422);
}
