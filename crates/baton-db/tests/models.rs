//! Learned models in the database: stored versions, training labels taken
//! from what people and rules decided, the not-worse gate, and the pipeline
//! deciding with the active models; on SQLite and, with `TEST_DATABASE_URL`,
//! on PostgreSQL.

use baton_core::domain::{AccountStatus, Channel, Intent, OpportunityStage, Role, Stage, Verdict};
use baton_core::inquiry::{Inquiry, InquiryInput};
use baton_core::intake::{HONEYPOT_FIELD, content_hash};
use baton_core::learn::retrain::is_held_out;
use baton_core::learn::train::Task;
use baton_core::money::Decimal;
use baton_db::Db;
use baton_db::accounts::NewAccount;
use baton_db::intake::{Outcome, RawInquiry, Received};
use baton_db::opportunities::{NewOpportunity, OpportunityChange};
use baton_db::testing::TestDb;
use baton_db::users::NewUser;

/// A business inquiry the rules let through.
fn pricing(n: usize) -> InquiryInput {
    InquiryInput {
        email: Some(format!("buyer{n}@acme{n}.com")),
        message: Some(format!("Please send pricing for {n} seats")),
        ..Default::default()
    }
}

/// A prize scam from a throw-away mailbox, full of links: quarantined.
fn prize(n: usize) -> InquiryInput {
    InquiryInput {
        email: Some(format!("winner{n}@mailinator.com")),
        message: Some(format!(
            "Claim your free prize {n} now www.a{n}.biz www.b{n}.biz www.c{n}.biz"
        )),
        ..Default::default()
    }
}

/// A billing question the rules read with confidence.
fn billing(n: usize) -> InquiryInput {
    InquiryInput {
        email: Some(format!("ap{n}@globex{n}.com")),
        message: Some(format!("Our invoice {n} was charged twice, please refund")),
        ..Default::default()
    }
}

/// An inquiry as the API receives it.
fn raw(input: &InquiryInput) -> RawInquiry {
    RawInquiry {
        channel: Channel::Api,
        origin: "test".into(),
        raw: serde_json::to_vec(input).unwrap(),
        idempotency_key: None,
        content_hash: content_hash(&Inquiry::parse(input).unwrap()),
    }
}

/// Stores and processes inquiries sent to the API, in order.
async fn submit(db: &Db, inputs: &[InquiryInput]) -> Vec<Outcome> {
    let batch: Vec<RawInquiry> = inputs.iter().map(raw).collect();
    process(db, &batch).await
}

async fn process(db: &Db, batch: &[RawInquiry]) -> Vec<Outcome> {
    let (stored, _) = db.store_raw(batch).await.unwrap();
    let ids: Vec<i64> = stored.iter().map(|s| s.id()).collect();
    db.process_inquiries(&ids).await.unwrap()
}

/// A form submission with its honeypot filled in and an ordinary message:
/// the rules quarantine it.
async fn honeypot_form(db: &Db, n: usize) -> i64 {
    let body = format!(
        "email=form{n}%40initech{n}.com&message=Please+send+pricing+for+{n}+seats&{HONEYPOT_FIELD}=x"
    );
    let input = pricing(n);
    let raw = RawInquiry {
        channel: Channel::Form,
        origin: "form".into(),
        raw: body.into_bytes(),
        idempotency_key: None,
        content_hash: format!(
            "form-{n}-{}",
            content_hash(&Inquiry::parse(&input).unwrap())
        ),
    };
    process(db, &[raw]).await[0].inquiry_id
}

async fn moderator(db: &Db) -> i64 {
    db.create_user(NewUser {
        email: "mod@example.com",
        name: "Mo Derator",
        role: Role::Manager,
        password: None,
    })
    .await
    .unwrap()
    .id
}

/// Eighty inquiries, alternately a prize scam and a pricing request.
async fn spam_and_ham(db: &Db) -> Vec<Outcome> {
    let inputs: Vec<InquiryInput> = (1..=80)
        .map(|n| if n % 2 == 1 { prize(n) } else { pricing(n) })
        .collect();
    submit(db, &inputs).await
}

#[tokio::test]
async fn models_are_stored_in_versions_and_one_is_active() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    spam_and_ham(db).await;
    let first = db.train_model(Task::Spam).await.unwrap().unwrap();
    assert_eq!((first.version, first.activated), (1, true));
    assert_eq!(first.active, None);
    // The same rows again: a model is not worse than its twin.
    let second = db.train_model(Task::Spam).await.unwrap().unwrap();
    assert_eq!(second.version, 2);
    assert_eq!(second.active.as_ref(), Some(&first.held_out));
    assert!(second.activated);
    let versions = db.model_versions(Task::Spam).await.unwrap();
    let active: Vec<(i64, bool)> = versions.iter().map(|v| (v.version, v.active)).collect();
    assert_eq!(active, [(1, false), (2, true)]);
    assert_eq!(versions[0].training_rows, 64);
    assert_eq!(versions[0].metrics["held_out"]["rows"], 16);
    db.activate_model(Task::Spam, 1).await.unwrap();
    assert_eq!(
        db.active_model(Task::Spam).await.unwrap().unwrap().version,
        1
    );
    assert!(db.activate_model(Task::Spam, 9).await.is_err());
    assert!(db.active_model(Task::Intent).await.unwrap().is_none());
}

#[tokio::test]
async fn a_message_sent_twice_and_decided_on_two_servers_at_once_makes_one_lead() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    // Each server stores its copy and decides it before the other's work
    // is written: neither sees a repeat.
    let mut decided = Vec::new();
    for _ in 0..2 {
        let copy = raw(&pricing(7));
        let (stored, received_at) = db.store_raw(std::slice::from_ref(&copy)).await.unwrap();
        let received = Received {
            id: stored[0].id(),
            received_at,
            inquiry: copy,
        };
        decided.push(db.decide_received(vec![received]).await.unwrap());
    }
    for decisions in decided {
        db.open_round(Some(decisions))
            .await
            .unwrap()
            .commit()
            .await
            .unwrap();
    }
    let leads: Vec<(i64,)> = sqlx::query_as("SELECT id FROM leads")
        .fetch_all(db.reader())
        .await
        .unwrap();
    assert_eq!(leads.len(), 1, "one lead: {leads:?}");
    let items: Vec<(i64,)> = sqlx::query_as("SELECT id FROM work_items")
        .fetch_all(db.reader())
        .await
        .unwrap();
    assert_eq!(items.len(), 1, "one work item: {items:?}");
    let repeats: Vec<(Option<i64>,)> =
        sqlx::query_as("SELECT repeat_of FROM inquiries ORDER BY id")
            .fetch_all(db.reader())
            .await
            .unwrap();
    assert_eq!(repeats[0].0, None);
    assert!(
        repeats[1].0.is_some(),
        "the second joins the first: {repeats:?}"
    );
}

#[tokio::test]
async fn inquiries_another_run_processed_first_are_told_apart_from_those_processed_now() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let batch: Vec<RawInquiry> = (1..=3).map(|n| raw(&pricing(n))).collect();
    let (stored, _) = db.store_raw(&batch).await.unwrap();
    let ids: Vec<i64> = stored.iter().map(|s| s.id()).collect();
    let first = db.process_inquiries(&ids).await.unwrap();
    assert!(first.iter().all(|o| !o.done_elsewhere()), "{first:?}");
    let again = db.process_inquiries(&ids).await.unwrap();
    assert!(again.iter().all(|o| o.done_elsewhere()), "{again:?}");
}

#[tokio::test]
async fn leads_of_one_batch_are_numbered_in_the_order_their_inquiries_arrived() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let inputs: Vec<InquiryInput> = (1..=24).map(pricing).collect();
    submit(db, &inputs).await;
    let leads: Vec<(i64, i64)> = sqlx::query_as("SELECT id, inquiry_id FROM leads ORDER BY id")
        .fetch_all(db.reader())
        .await
        .unwrap();
    assert_eq!(leads.len(), 24);
    assert!(leads.windows(2).all(|w| w[0].1 < w[1].1), "{leads:?}");
}

#[tokio::test]
async fn trainings_stored_at_once_each_get_a_version_of_their_own() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    spam_and_ham(db).await;
    let trained = db.train_model(Task::Spam).await.unwrap().unwrap();
    let model = db.active_model(Task::Spam).await.unwrap().unwrap().model;
    let mut stores = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (db, model) = (db.clone(), model.clone());
        stores.spawn(async move {
            let metrics = serde_json::json!({});
            db.store_model(Task::Spam, 1, 64, &metrics, &model)
                .await
                .unwrap()
        });
    }
    let mut versions = stores.join_all().await;
    versions.sort_unstable();
    let expected: Vec<i64> = (trained.version + 1..=trained.version + 6).collect();
    assert_eq!(versions, expected);
}

#[tokio::test]
async fn spam_labels_are_the_moderators_word_over_the_rules() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let moderator = moderator(db).await;
    let outcomes = spam_and_ham(db).await;
    let released = outcomes[0].inquiry_id;
    let confirmed = outcomes[2].inquiry_id;
    db.release_inquiry(moderator, released, "a real customer")
        .await
        .unwrap();
    db.confirm_spam(moderator, confirmed, "").await.unwrap();
    let examples = db.training_examples(Task::Spam).await.unwrap();
    assert_eq!(examples.len(), 80);
    let label = |id: i64| {
        examples
            .iter()
            .find(|e| e.key == id)
            .map(|e| e.label.as_str())
    };
    assert_eq!(label(released), Some("ham"));
    assert_eq!(label(confirmed), Some("spam"));
    assert_eq!(label(outcomes[4].inquiry_id), Some("spam"));
    assert_eq!(label(outcomes[1].inquiry_id), Some("ham"));
}

#[tokio::test]
async fn every_copy_of_a_message_the_rules_caught_by_its_repetition_is_a_spam_label() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let pills = InquiryInput {
        email: Some("deals@pills.example".into()),
        message: Some("Cheap pills: www.pills.biz".into()),
        ..Default::default()
    };
    let mut copies = Vec::new();
    for _ in 0..3 {
        copies.push(submit(db, std::slice::from_ref(&pills)).await[0].clone());
    }
    let other = submit(db, &[pricing(1)]).await[0].inquiry_id;
    let statuses: Vec<&str> = copies.iter().map(|c| c.status.as_str()).collect();
    assert_eq!(
        statuses,
        ["processed", "quarantined", "quarantined"],
        "one link lets the first copy through; its repetition catches the rest"
    );
    let labels = |examples: &[baton_core::learn::retrain::Example]| -> Vec<String> {
        copies
            .iter()
            .map(|c| {
                examples
                    .iter()
                    .find(|e| e.key == c.inquiry_id)
                    .unwrap()
                    .label
                    .clone()
            })
            .collect()
    };
    let examples = db.training_examples(Task::Spam).await.unwrap();
    assert_eq!(labels(&examples), ["spam", "spam", "spam"]);
    let label_of_other = examples.iter().find(|e| e.key == other).unwrap();
    assert_eq!(label_of_other.label, "ham");

    // A person's word on one copy goes for every copy the rules judged.
    let moderator = moderator(db).await;
    db.release_inquiry(moderator, copies[1].inquiry_id, "a real supplier")
        .await
        .unwrap();
    let examples = db.training_examples(Task::Spam).await.unwrap();
    assert_eq!(labels(&examples), ["ham", "ham", "ham"]);
}

#[tokio::test]
async fn a_worse_model_is_stored_but_not_activated() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let moderator = moderator(db).await;
    let outcomes = spam_and_ham(db).await;
    let good = db.train_model(Task::Spam).await.unwrap().unwrap();
    assert!(good.activated);
    // Moderators release every prize scam used for training, and confirm
    // ordinary-looking forms caught by their honeypot: what the next model
    // learns contradicts the held-out rows.
    for outcome in outcomes.iter().step_by(2) {
        if !is_held_out(outcome.inquiry_id) {
            db.release_inquiry(moderator, outcome.inquiry_id, "")
                .await
                .unwrap();
        }
    }
    for n in 100..130 {
        let id = honeypot_form(db, n).await;
        if !is_held_out(id) {
            db.confirm_spam(moderator, id, "").await.unwrap();
        }
    }
    let worse = db.train_model(Task::Spam).await.unwrap().unwrap();
    let active = worse.active.clone().unwrap();
    assert!(worse.held_out.value < active.value, "{worse:?}");
    assert!(!worse.activated);
    assert_eq!(
        db.active_model(Task::Spam).await.unwrap().unwrap().version,
        good.version
    );
    assert_eq!(db.model_versions(Task::Spam).await.unwrap().len(), 2);
}

#[tokio::test]
async fn decisions_record_the_model_version_and_its_reasons() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    spam_and_ham(db).await;
    let intents: Vec<InquiryInput> = (200..240)
        .map(|n| if n % 2 == 0 { billing(n) } else { pricing(n) })
        .collect();
    submit(db, &intents).await;
    let spam = db.train_model(Task::Spam).await.unwrap().unwrap();
    let intent = db.train_model(Task::Intent).await.unwrap().unwrap();
    assert!(spam.activated && intent.activated);
    let outcome = &submit(db, &[prize(301), billing(302)]).await;
    let scam = db.inquiry(outcome[0].inquiry_id).await.unwrap();
    let moderation = scam
        .decisions
        .iter()
        .find(|d| d.kind == "moderation")
        .unwrap();
    assert_eq!(moderation.value.as_deref(), Some(Verdict::Spam.as_str()));
    assert_eq!(
        moderation.version,
        format!("rules-1+spam-model-{}", spam.version)
    );
    let reason = moderation.reasons.last().unwrap();
    assert_eq!(reason.code, "spam_model");
    assert!(reason.text.contains("toward: "), "{}", reason.text);
    let question = db.inquiry(outcome[1].inquiry_id).await.unwrap();
    let decided = question
        .decisions
        .iter()
        .find(|d| d.kind == "intent")
        .unwrap();
    assert_eq!(decided.value.as_deref(), Some(Intent::Billing.as_str()));
    assert_eq!(
        decided.version,
        format!("rules-1+intent-model-{}", intent.version)
    );
    assert_eq!(decided.reasons[0].code, "intent_model");

    let silent = InquiryInput {
        email: Some("quiet@example.org".into()),
        ..Default::default()
    };
    let outcome = &submit(db, &[silent]).await;
    let silent = db.inquiry(outcome[0].inquiry_id).await.unwrap();
    let decided = silent
        .decisions
        .iter()
        .find(|d| d.kind == "intent")
        .unwrap();
    assert_eq!(decided.version, "rules-1", "no message, no model reading");
}

#[tokio::test]
async fn corrected_intents_and_lead_outcomes_become_labels() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let person = moderator(db).await;
    let outcomes = submit(
        db,
        &(1..=60)
            .map(|n| if n % 3 == 0 { billing(n) } else { pricing(n) })
            .collect::<Vec<_>>(),
    )
    .await;
    let corrected = outcomes[0].inquiry_id;
    db.correct_intent(person, corrected, Intent::Support, "a broken export")
        .await
        .unwrap();
    // A customer's request is read from the account, which the model does
    // not see: it is not a label.
    db.create_account(
        None,
        &NewAccount {
            name: "Hooli".into(),
            domains: vec!["hooli.test".into()],
            status: Some(AccountStatus::Customer),
            tier: None,
            industry: None,
            employees: None,
            owner_id: None,
        },
    )
    .await
    .unwrap();
    let from_customer = submit(
        db,
        &[InquiryInput {
            email: Some("gavin@hooli.test".into()),
            ..pricing(99)
        }],
    )
    .await;
    assert_eq!(from_customer[0].intent, Some(Intent::CustomerRequest));
    let examples = db.training_examples(Task::Intent).await.unwrap();
    assert!(
        examples
            .iter()
            .all(|e| e.key != from_customer[0].inquiry_id)
    );
    let label = |id: i64| &examples.iter().find(|e| e.key == id).unwrap().label;
    assert_eq!(label(corrected), "support");
    assert_eq!(label(outcomes[2].inquiry_id), "billing");
    assert_eq!(label(outcomes[1].inquiry_id), "new_business");

    // The correction sent the work to service and disqualified the lead:
    // lost, like any disqualified lead; the open ones are not labelled.
    let examples = db.training_examples(Task::Conversion).await.unwrap();
    let labels: Vec<(i64, &str)> = examples.iter().map(|e| (e.key, e.label.as_str())).collect();
    assert_eq!(labels, [(outcomes[0].lead_id.unwrap(), "lost")]);

    // Leads with a known outcome: customers won, the disqualified lost; the
    // open ones are not labelled. The first, disqualified above, stays so.
    let leads: Vec<i64> = outcomes.iter().filter_map(|o| o.lead_id).collect();
    assert_eq!(leads[0], outcomes[0].lead_id.unwrap());
    for (index, lead) in leads.iter().enumerate().skip(1).take(40) {
        if index % 2 == 1 {
            // A lead becomes a customer when a deal on it is won.
            let deal = db
                .create_opportunity(
                    Some(person),
                    &NewOpportunity {
                        name: format!("Deal {index}"),
                        account_id: None,
                        contact_id: None,
                        lead_id: Some(*lead),
                        owner_id: person,
                        product: None,
                        amount: Decimal("100".into()),
                        currency: None,
                        stage: None,
                        probability: None,
                        forecast_category: None,
                        expected_close: None,
                    },
                )
                .await
                .unwrap();
            let won = OpportunityChange {
                stage: Some(OpportunityStage::Won),
                ..Default::default()
            };
            db.update_opportunity(Some(person), deal.id, &won)
                .await
                .unwrap();
        } else {
            db.move_lead(person, *lead, Stage::Disqualified, "no budget")
                .await
                .unwrap();
        }
    }
    let examples = db.training_examples(Task::Conversion).await.unwrap();
    assert_eq!(examples.len(), 40, "every lead: 20 won, 20 disqualified");
    assert_eq!(examples.iter().filter(|e| e.label == "won").count(), 20);
    let conversion = db.train_model(Task::Conversion).await.unwrap().unwrap();
    assert!(conversion.activated);
    assert_eq!(conversion.held_out.metric, "roc_auc");
    let next = submit(db, &[pricing(500)]).await;
    let view = db.inquiry(next[0].inquiry_id).await.unwrap();
    let score = view.decisions.iter().find(|d| d.kind == "score").unwrap();
    assert_eq!(
        score.version,
        format!("points-1+conversion-model-{}", conversion.version)
    );
    assert!(score.reasons.iter().any(|r| r.code == "conversion_model"));
}

#[tokio::test]
async fn with_no_model_the_rules_decide_alone() {
    let test = TestDb::new().await.unwrap();
    let db = &test.db;
    let outcomes = submit(db, &[prize(1), pricing(2)]).await;
    for outcome in outcomes {
        let view = db.inquiry(outcome.inquiry_id).await.unwrap();
        assert!(view.decisions.iter().all(|d| !d.version.contains("model")));
    }
    let too_few = db.train_model(Task::Spam).await.unwrap();
    assert!(too_few.is_err());
    assert!(db.model_versions(Task::Spam).await.unwrap().is_empty());
}
