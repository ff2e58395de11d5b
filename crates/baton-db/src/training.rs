//! What the database has learned, as labelled rows for the models, and
//! retraining from them.
//!
//! Labels are what people said, else what the rules decided: a moderator's
//! release (ham) or confirmation (spam) over the rules' verdict; a person's
//! corrected intent over a confident rule intent (customer requests, read
//! from the matched account, are left to the rules); for conversion, leads whose deals
//! were won (or that became customers) against those lost, disqualified or
//! rejected by sales, spam aside. Decisions a model took and nobody corrected are left
//! out, so a model never learns from its own guesses.

use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::forms::form_attributions_in;
use crate::now_ms;
use baton_core::domain::{Channel, Intent};
use baton_core::intake::{FormAttribution, Staff, read};
use baton_core::learn::combine::MIN_INTENT_CONFIDENCE;
use baton_core::learn::inputs::{Known, row};
use baton_core::learn::retrain::{Example, HeldOut, RetrainError, retrain};
use baton_core::learn::train::Task;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What retraining a task did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Training {
    pub task: Task,
    /// The version stored.
    pub version: i64,
    /// The learner cross-validation chose.
    pub chosen: String,
    pub training_rows: usize,
    /// The new model on the held-out rows.
    pub held_out: HeldOut,
    /// The model active before, on the same rows.
    pub active: Option<HeldOut>,
    /// Whether the new version replaced the active one.
    pub activated: bool,
}

/// Gives every copy of one message (same sender, same words) the rules
/// judged the same spam label: what a person said of any copy, else spam
/// when the rules caught any copy. The rules often let the first copies of
/// a spam through and catch the later ones by their repetition; read
/// apart, those first copies would teach the model that the spam's words
/// are a real inquiry's.
fn label_copies_alike(
    labels: &mut BTreeMap<i64, (bool, String)>,
    contents: &BTreeMap<i64, String>,
) {
    let mut by_content: BTreeMap<&str, (Option<&str>, bool)> = BTreeMap::new();
    for (id, (by_person, label)) in labels.iter() {
        let Some(content) = contents.get(id) else {
            continue;
        };
        let (person, rules_spam) = by_content.entry(content).or_default();
        if *by_person {
            // By id: the word on the latest copy a person judged wins.
            *person = Some(label.as_str());
        } else if label == "spam" {
            *rules_spam = true;
        }
    }
    let verdicts: BTreeMap<&str, String> = by_content
        .into_iter()
        .filter_map(|(content, (person, rules_spam))| {
            let verdict = person.or(rules_spam.then_some("spam"))?;
            Some((content, verdict.to_string()))
        })
        .collect();
    for (id, (by_person, label)) in labels.iter_mut() {
        if let Some(verdict) = contents.get(id).and_then(|c| verdicts.get(c.as_str()))
            && !*by_person
        {
            *label = verdict.clone();
        }
    }
}

/// Whether a decision's version names a model (e.g. `rules-1+spam-model-2`).
fn made_by_model(version: &str) -> bool {
    version.contains('+')
}

/// An inquiry as stored: how it came and what was received.
struct Stored {
    channel: String,
    origin: String,
    raw: Vec<u8>,
}

impl Db {
    /// What reading stored inquiries needs beside their payloads, given their
    /// channels and origins: the hosted forms they came through and the
    /// people whose forwarded e-mails count as forwards.
    async fn reading_of<'a>(
        &self,
        stored: impl Iterator<Item = (&'a String, &'a String)> + Clone,
    ) -> Result<(HashMap<String, FormAttribution>, Staff)> {
        tokio::try_join!(
            form_attributions_in(self.reader(), stored.clone().map(|(_, origin)| origin)),
            self.staff_for(stored.filter_map(|(channel, _)| channel.parse().ok()))
        )
    }
}

/// Builds one example from a stored inquiry, read as intake read it (a
/// hosted form's campaign and source over the visitor's fields), or
/// `None` when the stored payload no longer parses.
fn example(
    task: Task,
    key: i64,
    stored: &Stored,
    forms: &HashMap<String, FormAttribution>,
    staff: &Staff,
    intent: Option<Intent>,
    label: String,
) -> Option<Example> {
    let channel: Channel = stored.channel.parse().ok()?;
    let form = forms.get(&stored.origin);
    let (inquiry, honeypot_filled) = read(channel, &stored.raw, form, staff).ok()?;
    let known = Known {
        channel,
        honeypot_filled,
        intent,
    };
    Some(Example {
        key,
        row: row(task, &inquiry, &known),
        label,
    })
}

impl Db {
    /// The labelled rows for `task`, keyed by inquiry (spam, intent) or
    /// lead (conversion).
    pub async fn training_examples(&self, task: Task) -> Result<Vec<Example>> {
        match task {
            Task::Spam | Task::Intent => self.decision_examples(task).await,
            Task::Conversion => self.conversion_examples().await,
        }
    }

    /// Spam and intent labels from the decisions on each inquiry: the
    /// latest a person made, else the latest the rules made alone.
    async fn decision_examples(&self, task: Task) -> Result<Vec<Example>> {
        let kind = match task {
            Task::Spam => "moderation",
            _ => "intent",
        };
        // Intent is learned from inquiries that are not spam.
        type DecisionRow = (
            i64,
            String,
            String,
            Vec<u8>,
            String,
            Option<String>,
            Option<f64>,
            String,
            Option<i64>,
        );
        let rows: Vec<DecisionRow> = sqlx::query_as(
            "SELECT i.id, i.channel, i.origin, i.raw, i.content_hash, d.value, d.score, d.version, d.actor_id
             FROM decisions d JOIN inquiries i ON i.id = d.inquiry_id
             WHERE d.kind = $1 AND ($1 = 'moderation' OR i.status NOT IN ('quarantined', 'spam'))
             ORDER BY d.id",
        )
        .bind(kind)
        .fetch_all(self.reader())
        .await?;
        // Per inquiry: (by a person, label), the later of equals winning.
        let mut labels: BTreeMap<i64, (bool, String)> = BTreeMap::new();
        let mut payloads: BTreeMap<i64, Stored> = BTreeMap::new();
        let mut contents: BTreeMap<i64, String> = BTreeMap::new();
        for (id, channel, origin, raw, content, value, score, version, actor) in rows {
            let Some(value) = value else { continue };
            let by_person = actor.is_some();
            // A rule's customer request comes from the matched account,
            // which the intent model does not see: the rules keep deciding it.
            let rules_certain_intent = task == Task::Intent
                && (score.unwrap_or(0.0) >= MIN_INTENT_CONFIDENCE)
                && value != Intent::CustomerRequest.as_str();
            let usable = by_person
                || (!made_by_model(&version) && (task == Task::Spam || rules_certain_intent));
            if !usable
                || labels
                    .get(&id)
                    .is_some_and(|(person, _)| *person && !by_person)
            {
                continue;
            }
            labels.insert(id, (by_person, value));
            payloads.entry(id).or_insert(Stored {
                channel,
                origin,
                raw,
            });
            contents.entry(id).or_insert(content);
        }
        if task == Task::Spam {
            label_copies_alike(&mut labels, &contents);
        }
        let (forms, staff) = self
            .reading_of(payloads.values().map(|p| (&p.channel, &p.origin)))
            .await?;
        Ok(labels
            .into_iter()
            .filter_map(|(id, (_, label))| {
                example(task, id, &payloads[&id], &forms, &staff, None, label)
            })
            .collect())
    }

    /// Conversion labels from leads whose outcome is known, with what was
    /// known when they arrived.
    async fn conversion_examples(&self) -> Result<Vec<Example>> {
        type LeadRow = (i64, String, String, Vec<u8>, String, String, i64, i64, i64);
        let rows: Vec<LeadRow> = sqlx::query_as(
            "SELECT l.id, i.channel, i.origin, i.raw, l.intent, l.stage,
                 (SELECT COUNT(*) FROM opportunities o WHERE o.lead_id = l.id AND o.stage = 'won'),
                 (SELECT COUNT(*) FROM opportunities o WHERE o.lead_id = l.id AND o.stage = 'lost'),
                 (SELECT COUNT(*) FROM work_items w WHERE w.lead_id = l.id AND w.status = 'rejected')
             FROM leads l JOIN inquiries i ON i.id = l.inquiry_id
             WHERE i.status <> 'spam' ORDER BY l.id",
        )
        .fetch_all(self.reader())
        .await?;
        let payloads = rows.iter().map(|r| (&r.1, &r.2));
        let (forms, staff) = self.reading_of(payloads).await?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(id, channel, origin, raw, intent, stage, won, lost, rejected)| {
                    let label = if won > 0 || stage == "customer" {
                        "won"
                    } else if lost > 0 || stage == "disqualified" || rejected > 0 {
                        "lost"
                    } else {
                        return None;
                    };
                    let stored = Stored {
                        channel,
                        origin,
                        raw,
                    };
                    let intent = intent.parse().ok();
                    example(
                        Task::Conversion,
                        id,
                        &stored,
                        &forms,
                        &staff,
                        intent,
                        label.into(),
                    )
                },
            )
            .collect())
    }

    /// Trains a new version of `task`'s model from the database, stores it,
    /// and activates it if it is not worse than the active one on the same
    /// held-out rows. The inner error says why the labelled rows do not
    /// suffice yet.
    pub async fn train_model(&self, task: Task) -> Result<Result<Training, RetrainError>> {
        let examples = self.training_examples(task).await?;
        let active = self.active_model(task).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the active model cannot be read; the new one is measured alone");
            None
        });
        // Training takes seconds of CPU: off the async workers.
        let retrained = tokio::task::spawn_blocking(move || {
            retrain(task, &examples, active.as_ref().map(|a| &a.model))
        })
        .await
        .map_err(|e| DbError::Config(format!("training stopped: {e}")))?;
        let retrained = match retrained {
            Ok(retrained) => retrained,
            Err(too_little) => return Ok(Err(too_little)),
        };
        let metrics = serde_json::json!({
            "held_out": retrained.held_out,
            "active": retrained.active,
            "chosen": retrained.chosen,
        });
        let version = self
            .store_model(
                task,
                now_ms(),
                retrained.training_rows,
                &metrics,
                &retrained.model,
            )
            .await?;
        let activated = retrained.is_not_worse();
        if activated {
            self.activate_model(task, version).await?;
        }
        Ok(Ok(Training {
            task,
            version,
            chosen: retrained.chosen,
            training_rows: retrained.training_rows,
            held_out: retrained.held_out,
            active: retrained.active,
            activated,
        }))
    }
}
