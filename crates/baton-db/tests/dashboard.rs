//! The dashboard's queue load, first-touch compliance and inquiry mix on a
//! small dataset worked out by hand, on SQLite and, with
//! `TEST_DATABASE_URL`, on PostgreSQL.

use baton_core::domain::Role;
use baton_db::Db;
use baton_db::dashboard::{InquiryMix, MixRow, QueueLoad};
use baton_db::settings::OrganisationChange;
use baton_db::testing::TestDb;
use baton_db::testing::scenario::ms;
use baton_db::users::NewUser;

const HOUR: i64 = 60 * 60 * 1000;
const DAY: i64 = 24 * HOUR;

/// A work item straight into the table.
async fn item(db: &Db, queue: i64, status: &str, due: i64, touched: Option<i64>) {
    sqlx::query(
        "INSERT INTO work_items (queue_id, status, first_touch_due_at, resolution_due_at,
             first_touched_at, created_at, updated_at)
         VALUES ($1, $2, $3, $3, $4, $5, $5)",
    )
    .bind(queue)
    .bind(status)
    .bind(due)
    .bind(touched)
    .bind(due - HOUR)
    .execute(db.writer())
    .await
    .unwrap();
}

#[tokio::test]
async fn queues_show_their_open_work_and_how_often_first_touches_came_in_time() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let queues: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM queues ORDER BY name")
        .fetch_all(db.reader())
        .await
        .unwrap();
    let ((a, a_name), (b, b_name)) = (queues[0].clone(), queues[1].clone());
    let now = ms("2026-11-15T12:00:00Z");
    // Not yet due and untouched: open and waiting, not judged.
    item(db, a, "unassigned", now + HOUR, None).await;
    // Overdue now, and a miss.
    item(db, a, "unassigned", now - HOUR, None).await;
    item(db, a, "accepted", now - 3 * DAY, None).await;
    // Touched ten minutes before its due time.
    item(
        db,
        a,
        "assigned",
        now - 2 * DAY,
        Some(now - 2 * DAY - HOUR / 6),
    )
    .await;
    // Done, but touched a day late.
    item(db, a, "done", now - 5 * DAY, Some(now - 4 * DAY)).await;
    // Due before the 30 days.
    item(db, a, "done", now - 40 * DAY, Some(now - 41 * DAY)).await;
    // Touched already though not due yet: in time.
    item(db, a, "done", now + 2 * HOUR, Some(now - HOUR)).await;
    // Rejected untouched, and touched exactly at its due time.
    item(db, b, "rejected", now - DAY, None).await;
    item(db, b, "assigned", now - DAY, Some(now - DAY)).await;
    // Escalated untouched, then touched before the due time the escalation
    // gave its new holder: a miss all the same.
    item(db, b, "assigned", now + HOUR, Some(now - HOUR)).await;
    sqlx::query(
        "UPDATE work_items SET escalated_at = $1 WHERE id = (SELECT MAX(id) FROM work_items)",
    )
    .bind(now - 2 * HOUR)
    .execute(db.writer())
    .await
    .unwrap();

    let load = db.queue_load(now).await.unwrap();
    assert_eq!(load.len(), queues.len(), "every queue is shown");
    let queue = |id| load.iter().find(|q| q.queue_id == id).unwrap();
    assert_eq!(
        queue(a),
        &QueueLoad {
            queue_id: a,
            name: a_name,
            open: 4,
            waiting: 2,
            // The two untouched past their first touch, and the one touched
            // in time but open past its resolution (due with the first touch here).
            overdue: 3,
            judged: 5,
            on_time: 2,
        }
    );
    assert_eq!(queue(a).compliance(), Some(0.4));
    assert_eq!(
        queue(b),
        &QueueLoad {
            queue_id: b,
            name: b_name,
            open: 2,
            waiting: 0,
            // Touched at its due time, open past its resolution.
            overdue: 1,
            judged: 3,
            on_time: 1,
        }
    );
    let idle = &load[2];
    assert_eq!((idle.open, idle.judged, idle.compliance()), (0, 0, None));
}

/// An inquiry received at `at` with its intent decisions, oldest first,
/// and a lead from `source` when it has one.
async fn inquiry(db: &Db, at: &str, intents: &[&str], lead: Option<Option<&str>>) {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO inquiries (received_at, channel, origin, raw, content_hash, status)
         VALUES ($1, 'api', 'test', $2, $3, 'processed') RETURNING id",
    )
    .bind(ms(at))
    .bind(at.as_bytes().to_vec())
    .bind(at)
    .fetch_one(db.writer())
    .await
    .unwrap();
    for (intent, later) in intents.iter().zip(0..) {
        sqlx::query(
            "INSERT INTO decisions (inquiry_id, kind, value, reasons, version, created_at)
             VALUES ($1, 'intent', $2, '[]', 'test', $3)",
        )
        .bind(id)
        .bind(*intent)
        .bind(ms(at) + later)
        .execute(db.writer())
        .await
        .unwrap();
    }
    if let Some(source) = lead {
        sqlx::query(
            "INSERT INTO leads (inquiry_id, source, stage, intent, score, grade, created_at, updated_at)
             VALUES ($1, $2, 'new', 'other', 50, 'b', $3, $3)",
        )
        .bind(id)
        .bind(source)
        .bind(ms(at))
        .execute(db.writer())
        .await
        .unwrap();
    }
}

fn row(key: Option<&str>, counts: &[(usize, i64)]) -> MixRow {
    let mut months = vec![0; 12];
    for (month, count) in counts {
        months[*month] = *count;
    }
    MixRow {
        key: key.map(str::to_string),
        months,
    }
}

#[tokio::test]
async fn inquiries_are_counted_per_month_of_the_organisation_by_latest_intent_and_source() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let owner = db
        .create_user(NewUser {
            email: "olive@dash.test",
            name: "Olive",
            role: Role::Owner,
            password: None,
        })
        .await
        .unwrap()
        .id;
    db.change_organisation(
        owner,
        &OrganisationChange {
            time_zone: Some("America/Chicago".to_string()),
            ..OrganisationChange::default()
        },
    )
    .await
    .unwrap();
    // 23:30 on 31 October in Chicago (UTC−5); re-read as billing.
    inquiry(
        db,
        "2026-11-01T04:30:00Z",
        &["support", "billing"],
        Some(Some("website")),
    )
    .await;
    // 00:30 on 1 November there.
    inquiry(
        db,
        "2026-11-01T05:30:00Z",
        &["new_business"],
        Some(Some("website")),
    )
    .await;
    // No lead, so no source.
    inquiry(db, "2026-11-10T12:00:00Z", &["new_business"], None).await;
    // 00:30 on 1 December 2025 (UTC−6): the first month; no intent decision.
    inquiry(db, "2025-12-01T06:30:00Z", &[], Some(Some("email"))).await;
    // 23:00 on 30 November 2025 there, and December 2026: outside.
    inquiry(db, "2025-12-01T05:00:00Z", &["rfp"], Some(Some("email"))).await;
    inquiry(db, "2026-12-01T06:30:00Z", &["rfp"], Some(None)).await;
    // Held as spam, or confirmed spam: not an inquiry of anyone's.
    for (at, status) in [
        ("2026-11-11T12:00:00Z", "quarantined"),
        ("2026-11-12T12:00:00Z", "spam"),
    ] {
        inquiry(db, at, &["new_business"], None).await;
        sqlx::query("UPDATE inquiries SET status = $1 WHERE received_at = $2")
            .bind(status)
            .bind(ms(at))
            .execute(db.writer())
            .await
            .unwrap();
    }

    let mix = db
        .inquiry_mix(jiff::civil::date(2026, 11, 15), 12)
        .await
        .unwrap();
    let months: Vec<String> = (0..12)
        .map(|i| {
            jiff::civil::date(2025, 12, 1)
                .checked_add(jiff::Span::new().months(i))
                .unwrap()
                .strftime("%Y-%m")
                .to_string()
        })
        .collect();
    assert_eq!(
        mix,
        InquiryMix {
            months,
            by_intent: vec![
                row(None, &[(0, 1)]),
                row(Some("billing"), &[(10, 1)]),
                row(Some("new_business"), &[(11, 2)]),
            ],
            by_source: vec![
                row(None, &[(11, 1)]),
                row(Some("email"), &[(0, 1)]),
                row(Some("website"), &[(10, 1), (11, 1)]),
            ],
        }
    );
}
