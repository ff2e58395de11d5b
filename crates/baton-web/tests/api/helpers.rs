//! A running server with a fresh database and signed-in users.

use crate::server::start_server;
use baton_core::domain::Role;
use baton_db::Db;
use baton_db::testing::TestDb;
use baton_db::users::NewUser;
use serde_json::{Value, json};

/// Today's quarter in UTC (a new organisation's zone), like `2026-Q4`.
fn current_quarter() -> baton_core::calendar::Quarter {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    baton_core::calendar::Quarter::containing(today)
}

/// Today's quarter, the one forecasts are made for.
pub fn this_quarter() -> String {
    current_quarter().to_string()
}

/// The quarter after [`this_quarter`].
pub fn next_quarter() -> String {
    current_quarter().next().to_string()
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub client: reqwest::Client,
    /// Bearer token of the owner.
    pub owner: String,
    pub test_db: TestDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn new() -> TestApp {
        let test_db = TestDb::new().await.expect("test database");
        let db = test_db.db.clone();
        let (base, shutdown) = start_server(db.clone(), |_| {}).await;
        let owner_user = db
            .create_user(NewUser {
                email: "owner@acme.test",
                name: "Olive Owner",
                role: Role::Owner,
                password: None,
            })
            .await
            .unwrap();
        let owner = db
            .create_api_token(None, owner_user.id, "tests")
            .await
            .unwrap();
        TestApp {
            base,
            db,
            client: reqwest::Client::new(),
            owner,
            test_db,
            shutdown: Some(shutdown),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Adds a user with `role` and returns (user id, token).
    pub async fn user(&self, email: &str, role: Role) -> (i64, String) {
        let user = self
            .db
            .create_user(NewUser {
                email,
                name: email.split('@').next().unwrap(),
                role,
                password: None,
            })
            .await
            .unwrap();
        let token = self
            .db
            .create_api_token(None, user.id, "tests")
            .await
            .unwrap();
        (user.id, token)
    }

    /// Adds a user to a queue through the API, as the owner.
    pub async fn join(&self, queue: &str, email: &str) {
        let response = self
            .post(
                &self.owner,
                &format!("/api/v1/queues/{queue}/members"),
                &json!({"email": email}),
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// GETs JSON, asserting 200.
    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        let response = self.get(token, path).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// Submits an inquiry as the owner, asserting 201, and returns the receipt.
    pub async fn inquire(&self, body: Value) -> Value {
        let response = self.post(&self.owner, "/api/v1/inquiries", &body).await;
        let status = response.status();
        let receipt: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "{receipt}");
        receipt
    }

    /// Asserts that each person's count of open work, kept by the database,
    /// equals the open items really assigned to them.
    pub async fn assert_open_work_is_counted(&self) {
        let mismatched: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT u.id, COALESCE(o.items, -1),
                    (SELECT COUNT(*) FROM work_items w
                     WHERE w.assignee_id = u.id AND w.status IN ('assigned', 'accepted'))
             FROM users u LEFT JOIN open_work o ON o.user_id = u.id",
        )
        .fetch_all(self.db.reader())
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, kept, real)| kept != real)
        .collect();
        assert!(
            mismatched.is_empty(),
            "(user, kept, real) differ: {mismatched:?}"
        );
    }

    /// Deactivates a person, as the owner.
    pub async fn deactivate(&self, user_id: i64) {
        let owner = self.db.user_by_email("owner@acme.test").await.unwrap();
        let deactivate = baton_db::users::UserChange {
            active: Some(false),
            ..Default::default()
        };
        self.db
            .update_user(owner.id, user_id, &deactivate)
            .await
            .unwrap();
    }

    /// Rows in a table, straight from the database.
    pub async fn count(&self, table: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(self.db.reader())
            .await
            .unwrap();
        n
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
    }
}

/// A new-business inquiry from a strong lead: grade A.
pub fn strong_lead(email: &str) -> Value {
    json!({
        "name": "Dana Reyes",
        "email": email,
        "phone": "+1 415 555 0100",
        "company": "Initech",
        "title": "VP Operations",
        "message": "We are evaluating tools for 250 seats and would like pricing and a demo next week.",
        "source": "website",
        "fields": {"company_size": "1200", "industry": "software"}
    })
}

/// The fields a problem document names in `invalid-params`, in its order.
pub fn invalid_names(problem: &Value) -> Vec<&str> {
    problem["invalid-params"]
        .as_array()
        .unwrap_or_else(|| panic!("no invalid-params: {problem}"))
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect()
}

/// An API inquiry from `email` saying `message`, as intake stores it; its
/// content hash is `email`, so each sender counts once.
pub fn api_inquiry(email: &str, message: &str) -> baton_db::intake::RawInquiry {
    baton_db::intake::RawInquiry {
        channel: baton_core::domain::Channel::Api,
        origin: "test".into(),
        raw: json!({"email": email, "message": message})
            .to_string()
            .into_bytes(),
        idempotency_key: None,
        content_hash: email.to_string(),
    }
}

/// Stores `raws` as one batch and processes them together, as a busy
/// moment would; returns the outcomes in arrival order.
pub async fn process_as_one_batch(
    app: &TestApp,
    raws: &[baton_db::intake::RawInquiry],
) -> Vec<baton_db::intake::Outcome> {
    let (stored, _) = app.db.store_raw(raws).await.unwrap();
    let ids: Vec<i64> = stored.iter().map(|s| s.id()).collect();
    app.db.process_inquiries(&ids).await.unwrap()
}

/// Where a page asked for without a session sends the browser: signing in,
/// then back to `path`.
pub fn sign_in_for(path: &str) -> String {
    let path: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    format!("/sign-in?next={path}")
}
