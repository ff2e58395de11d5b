//! Queues and routing: each queue's strategy, SLAs, escalation path and
//! members; the ordered routing rules; and a box that runs an inquiry
//! through the real decisions without storing anything.

use super::session::{ButtonForm, csrf_refused};
use super::{
    Chrome, Field, Viewer, failure, not_for_your_role, place_error, place_errors, problems_text,
    refusal, render,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::decision::Reason;
use baton_core::domain::{AccountStatus, Channel, Intent, Role, Strategy, Tier};
use baton_core::inquiry::FieldError;
use baton_core::inquiry::Inquiry;
use baton_core::intake::{content_hash, decode_form};
use baton_core::routing::{Condition, Rule, fingerprint};
use baton_db::intake::{Plan, RawInquiry};
use baton_db::queues::{MemberChange, Queue, QueueChange};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/queues", get(overview))
        .route("/queues/try", post(try_inquiry))
        .route("/queues/rules", post(change_rule))
        .route("/queues/rules/new", get(new_rule).post(add_rule))
        .route("/queues/rules/{position}", get(edit_rule).post(save_rule))
        .route("/queues/{slug}", get(queue_page).post(change_queue))
        .route("/queues/{slug}/members", post(add_member))
        .route("/queues/{slug}/members/{user_id}", post(change_member))
        .route(
            "/queues/{slug}/members/{user_id}/remove",
            post(remove_member),
        )
}

/// Roles that configure queues and routing.
pub const EDITORS: &[Role] = &[Role::Owner, Role::Manager];

fn refused(viewer: &Viewer) -> Response {
    not_for_your_role(
        viewer,
        "configure queues or routing; owners and managers do",
    )
}

/// A queue as listed.
struct Listed {
    slug: String,
    name: String,
    strategy: &'static str,
    first_touch: String,
    resolution: String,
    escalation: String,
}

/// A routing rule as listed, in order.
struct ListedRule {
    name: String,
    /// The rule as shown, for a change to name it by ([`fingerprint`]).
    shown: String,
    when: String,
    /// The slug of the queue it sends to; empty for none.
    queue: String,
    skills: String,
    enabled: bool,
}

/// What a dry run decided, each step with its reasons.
struct Verdict {
    moderation: String,
    moderation_reasons: Vec<String>,
    matched: String,
    intent: String,
    intent_reasons: Vec<String>,
    score: String,
    score_reasons: Vec<String>,
    rule: String,
    queue: String,
    route_reasons: Vec<String>,
}

#[derive(Template)]
#[template(path = "queues.html")]
struct QueuesPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    queues: Vec<Listed>,
    rules: Vec<ListedRule>,
    /// (slug, name) of every queue a rule may send to; empty for none.
    targets: Vec<(String, String)>,
    rule_problem: Option<String>,
    trial: Vec<Field>,
    verdict: Option<Verdict>,
}

/// Business minutes for people: `4 h`, `1 h 30 min`, `45 min`.
fn minutes(total: i64) -> String {
    match (total / 60, total % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn strategy_label(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::RoundRobin => "Round robin",
        Strategy::LeastLoaded => "Least loaded",
        Strategy::Weighted => "Weighted",
    }
}

/// A rule's condition in words; an empty condition matches everything.
fn condition_text(condition: &Condition) -> String {
    fn list<T: ToString>(what: &str, values: &[T]) -> Option<String> {
        (!values.is_empty()).then(|| {
            let values: Vec<String> = values.iter().map(T::to_string).collect();
            format!("{what} is {}", values.join(" or "))
        })
    }
    let parts: Vec<String> = [
        condition.quarantined.map(|q| {
            if q {
                "held as spam".to_string()
            } else {
                "not held as spam".to_string()
            }
        }),
        list("intent", &condition.intents),
        list("grade", &condition.grades),
        list("source", &condition.sources),
        list("account status", &condition.account_statuses),
        list("account tier", &condition.account_tiers),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "always".into()
    } else {
        parts.join(", and ")
    }
}

/// The inquiry fields the test box takes, as the hosted form names them.
const TRIAL_FIELDS: &[(&str, &str, &str)] = &[
    ("name", "Name", "text"),
    ("email", "E-mail", "email"),
    ("phone", "Phone", "tel"),
    ("company", "Company", "text"),
    ("title", "Job title", "text"),
    ("source", "Source", "text"),
    ("company_size", "Company size", "text"),
    ("industry", "Industry", "text"),
    ("message", "Message", "text"),
];

fn trial_fields(typed: &[(String, String)]) -> Vec<Field> {
    TRIAL_FIELDS
        .iter()
        .map(|(name, label, kind)| {
            let value = typed
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
                .unwrap_or_default();
            let field = Field::input(name, label, kind, value);
            if *name == "message" {
                field
            } else {
                field.optional()
            }
        })
        .collect()
}

async fn show_overview(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    rule_problem: Option<String>,
    trial: Vec<Field>,
    verdict: Option<Verdict>,
) -> Response {
    let (queues, rules) = match tokio::try_join!(state.db.queues(), state.db.routing_rules()) {
        Ok(both) => both,
        Err(e) => return failure(Some(viewer), e),
    };
    let name_of = |slug: &str| {
        queues
            .iter()
            .find(|q| q.slug == slug)
            .map_or_else(|| slug.to_string(), |q| q.name.clone())
    };
    let rules = rules
        .iter()
        .map(|rule| ListedRule {
            shown: fingerprint(rule),
            name: rule.name.clone(),
            when: condition_text(&rule.condition),
            queue: rule.queue.clone().unwrap_or_default(),
            skills: rule.skills.join(", "),
            enabled: rule.enabled,
        })
        .collect();
    let targets = rule_targets(&queues);
    let listed = queues
        .iter()
        .map(|queue| Listed {
            slug: queue.slug.clone(),
            name: queue.name.clone(),
            strategy: strategy_label(queue.strategy),
            first_touch: minutes(queue.first_touch_sla_minutes),
            resolution: minutes(queue.resolution_sla_minutes),
            escalation: queue
                .escalation_queue
                .as_deref()
                .map_or_else(|| "None".into(), name_of),
        })
        .collect();
    render(
        status,
        &QueuesPage {
            title: "Queues and routing".into(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            queues: listed,
            rules,
            targets,
            rule_problem,
            trial,
            verdict,
        },
    )
}

async fn overview(State(state): State<AppState>, viewer: Viewer) -> Response {
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    show_overview(
        &state,
        &viewer,
        StatusCode::OK,
        None,
        trial_fields(&[]),
        None,
    )
    .await
}

fn texts(reasons: &[Reason]) -> Vec<String> {
    reasons.iter().map(|r| r.text.clone()).collect()
}

fn verdict(plan: Plan) -> Verdict {
    let matched = match (&plan.matched.account, &plan.matched.reason) {
        (Some(account), Some(reason)) => format!("{} (by {reason})", account.name),
        (None, Some(reason)) => format!("a contact without an account (by {reason})"),
        _ => "nobody known".into(),
    };
    Verdict {
        moderation: format!(
            "{} (spam score {:.2})",
            plan.moderation.verdict, plan.moderation.score
        ),
        moderation_reasons: texts(&plan.moderation.reasons),
        matched,
        intent: format!(
            "{} (confidence {})",
            plan.intent.value,
            super::percent(Some(plan.intent.confidence))
        ),
        intent_reasons: texts(&plan.intent.reasons),
        score: super::score_and_grade(plan.score.value, plan.score.grade),
        score_reasons: texts(&plan.score.reasons),
        rule: plan.route.rule.unwrap_or_else(|| "No rule".into()),
        queue: plan.route.queue.unwrap_or_else(|| "No queue".into()),
        route_reasons: texts(&plan.route.reasons),
    }
}

/// Runs the typed inquiry through moderation, matching, intent, score and
/// routing as if it had arrived by the hosted form; stores nothing.
async fn try_inquiry(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(sent): Form<Vec<(String, String)>>,
) -> Response {
    if !viewer.csrf_in(&sent) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let typed: Vec<(String, String)> = sent
        .into_iter()
        .filter(|(key, _)| TRIAL_FIELDS.iter().any(|(name, _, _)| name == key))
        .collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&typed)
        .finish()
        .into_bytes();
    let mut fields = trial_fields(&typed);
    let inquiry = match Inquiry::parse(&decode_form(&body).input) {
        Ok(inquiry) => inquiry,
        Err(errors) => {
            for error in errors {
                place_error(&mut fields, &error.field, error.problem);
            }
            return show_overview(
                &state,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                fields,
                None,
            )
            .await;
        }
    };
    let raw = RawInquiry {
        channel: Channel::Form,
        origin: format!("dry run by {}", viewer.session.user.email),
        content_hash: content_hash(&inquiry),
        raw: body,
        idempotency_key: None,
    };
    match state.db.dry_run(&raw).await {
        Ok(plan) => {
            show_overview(
                &state,
                &viewer,
                StatusCode::OK,
                None,
                fields,
                Some(verdict(plan)),
            )
            .await
        }
        Err(e) => failure(Some(&viewer), e),
    }
}

/// (slug, name) of every queue a rule may send to, after "No queue".
fn rule_targets(queues: &[Queue]) -> Vec<(String, String)> {
    std::iter::once((String::new(), "No queue".to_string()))
        .chain(queues.iter().map(|q| (q.slug.clone(), q.name.clone())))
        .collect()
}

/// A change to one routing rule, naming the rule as the page showed it so
/// that a stale page changes nothing.
#[derive(Deserialize)]
struct RuleForm {
    csrf: String,
    position: usize,
    /// The [`fingerprint`] of the rule as the page showed it.
    rule: String,
    /// `up`, `down`, `enable`, `disable` or `delete`.
    action: Option<String>,
    /// The queue slug to send to, empty for none, to retarget the rule.
    queue: Option<String>,
}

/// Moves a routing rule one place up or down, turns it on or off, deletes
/// it, or sends it to another queue; the rules are stored whole, in order.
async fn change_rule(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<RuleForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    if let Some(action) = form.action.as_deref().filter(|a| !ACTIONS.contains(a)) {
        let problem = format!("`{action}` is not one of: {}", ACTIONS.join(", "));
        return show_overview(
            &state,
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(problem),
            trial_fields(&[]),
            None,
        )
        .await;
    }
    // A change to another rule made meanwhile is kept: the rules are read
    // again and this change made again when they changed under it.
    for _ in 0..RETRIES {
        let mut rules: Vec<Rule> = match state.db.routing_rules().await {
            Ok(rules) => rules,
            Err(e) => return failure(Some(&viewer), e),
        };
        let based_on = fingerprint(&rules);
        let at = form.position;
        let shown = rules.get(at).is_some_and(|r| fingerprint(r) == form.rule);
        if !shown
            || !change_at(
                &mut rules,
                at,
                form.action.as_deref(),
                form.queue.as_deref(),
            )
        {
            break;
        }
        match stored(&state, &viewer, &rules, &based_on).await {
            Ok(Stored::Done) => return Redirect::to("/queues#rules").into_response(),
            Ok(Stored::ChangedMeanwhile) => continue,
            Ok(Stored::Refused(problems)) => {
                return show_overview(
                    &state,
                    &viewer,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(problems_text(problems)),
                    trial_fields(&[]),
                    None,
                )
                .await;
            }
            Err(e) => return failure(Some(&viewer), e),
        }
    }
    let problem =
        format!("{STALE} or the rule cannot move that way; here they are as they are now.");
    show_overview(
        &state,
        &viewer,
        StatusCode::CONFLICT,
        Some(problem),
        trial_fields(&[]),
        None,
    )
    .await
}

/// What storing rules made from one reading of them came to.
enum Stored {
    Done,
    /// The rules changed since that reading: make the change again.
    ChangedMeanwhile,
    Refused(Vec<FieldError>),
}

/// Stores `rules`, made from the rules whose [`fingerprint`] is `based_on`.
async fn stored(
    state: &AppState,
    viewer: &Viewer,
    rules: &[Rule],
    based_on: &str,
) -> baton_db::Result<Stored> {
    match state
        .db
        .replace_routing_rules(Some(viewer.id()), rules, Some(&[based_on]))
        .await
    {
        Ok(()) => Ok(Stored::Done),
        Err(baton_db::DbError::Conflict { field, .. }) if field == "based_on" => {
            Ok(Stored::ChangedMeanwhile)
        }
        Err(e) => refusal(e).map(Stored::Refused),
    }
}

/// How many times a change is made again on rules that changed under it:
/// each time, some other change has landed, so a few people at once all
/// land theirs.
const RETRIES: usize = 10;

/// What the buttons beside a rule do.
const ACTIONS: [&str; 5] = ["up", "down", "enable", "disable", "delete"];

/// Moves the rule at `at` up or down, turns it on or off, deletes it, or
/// sends it to `queue`; false when it cannot move that way.
fn change_at(rules: &mut Vec<Rule>, at: usize, action: Option<&str>, queue: Option<&str>) -> bool {
    match (action, queue) {
        (Some("up"), _) if at > 0 => rules.swap(at, at - 1),
        (Some("down"), _) if at + 1 < rules.len() => rules.swap(at, at + 1),
        (Some("enable"), _) => rules[at].enabled = true,
        (Some("disable"), _) => rules[at].enabled = false,
        (Some("delete"), _) => {
            rules.remove(at);
        }
        (None, Some(queue)) => {
            rules[at].queue = Some(queue.trim().to_string()).filter(|q| !q.is_empty());
        }
        _ => return false,
    }
    true
}

/// The start of the answer to a form about a rule that is no longer where
/// the page showed it.
const STALE: &str = "The rules changed meanwhile";

/// What one fact of a condition accepts, for the syntax help.
struct ConditionKey {
    key: &'static str,
    accepts: String,
}

fn condition_keys() -> Vec<ConditionKey> {
    fn one_of<T: std::fmt::Display>(values: &[T]) -> String {
        let values: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
        format!("a list of {}", values.join(", "))
    }
    vec![
        ConditionKey {
            key: "quarantined",
            accepts: "true (held as spam) or false (not held)".into(),
        },
        ConditionKey {
            key: "intents",
            accepts: one_of(Intent::ALL),
        },
        ConditionKey {
            key: "grades",
            accepts: one_of(&["A", "B", "C", "D"]),
        },
        ConditionKey {
            key: "sources",
            accepts:
                "a list of source names, such as \"website\" or \"event\"; capitals do not matter"
                    .into(),
        },
        ConditionKey {
            key: "account_statuses",
            accepts: one_of(AccountStatus::ALL),
        },
        ConditionKey {
            key: "account_tiers",
            accepts: one_of(Tier::ALL),
        },
    ]
}

/// The page that adds a routing rule or changes one.
#[derive(Template)]
#[template(path = "rule.html")]
struct RulePage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    /// Where the form posts.
    action: String,
    /// The [`fingerprint`] of the rule as this page showed it; none for a
    /// new rule.
    original: Option<String>,
    fields: Vec<Field>,
    enabled: bool,
    problem: Option<String>,
    keys: Vec<ConditionKey>,
}

/// A rule as typed on its page.
#[derive(Deserialize, Default)]
struct RuleEditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    original: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    condition: String,
    #[serde(default)]
    queue: String,
    #[serde(default)]
    skills: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    enabled: bool,
}

impl RuleEditForm {
    fn of(rule: &Rule) -> RuleEditForm {
        RuleEditForm {
            original: Some(fingerprint(rule)),
            name: rule.name.clone(),
            condition: rule.condition.written(),
            queue: rule.queue.clone().unwrap_or_default(),
            skills: rule.skills.join(", "),
            enabled: rule.enabled,
            ..RuleEditForm::default()
        }
    }

    /// The rule typed, and the problem of a condition that does not read
    /// (left as the condition that always holds); the name and the queue
    /// are checked where the rules are stored.
    fn rule(&self) -> (Rule, Option<FieldError>) {
        let (condition, problem) = match Condition::parse(&self.condition) {
            Ok(condition) => (condition, None),
            Err(problem) => (
                Condition::default(),
                Some(FieldError::new("condition", problem)),
            ),
        };
        let rule = Rule {
            name: self.name.trim().to_string(),
            condition,
            queue: Some(self.queue.trim().to_string()).filter(|q| !q.is_empty()),
            skills: self
                .skills
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            enabled: self.enabled,
        };
        (rule, problem)
    }
}

/// Which rule a rule page is about.
#[derive(Clone, Copy)]
enum RuleSlot {
    New,
    At(usize),
}

impl RuleSlot {
    fn action(self) -> String {
        match self {
            RuleSlot::New => "/queues/rules/new".into(),
            RuleSlot::At(position) => format!("/queues/rules/{position}"),
        }
    }
}

/// The rule page with what was typed; `refused` puts each problem beside
/// its field, any other problem goes above the form.
async fn show_rule(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    slot: RuleSlot,
    typed: RuleEditForm,
    refused: Option<Vec<FieldError>>,
) -> Response {
    let queues = match state.db.queues().await {
        Ok(queues) => queues,
        Err(e) => return failure(Some(viewer), e),
    };
    let mut fields = vec![
        Field::input("name", "Name", "text", &typed.name),
        Field::input("condition", "Condition", "text", &typed.condition).optional(),
        Field::choice("queue", "Goes to", rule_targets(&queues), &typed.queue).optional(),
        Field::input(
            "skills",
            "Skills the person who takes it must have, separated by commas",
            "text",
            &typed.skills,
        )
        .optional(),
    ];
    let mut above = Vec::new();
    for FieldError { field, problem } in refused.unwrap_or_default() {
        // Storage names the rule's place too (`[2].queue`); the page shows one rule.
        let field = field.rsplit_once("].").map_or(field.as_str(), |(_, f)| f);
        if fields.iter().any(|f| f.name == field) {
            place_error(&mut fields, field, problem);
        } else {
            above.push(problem);
        }
    }
    let problem = (!above.is_empty()).then(|| above.join("; "));
    let title = match slot {
        RuleSlot::New => "New routing rule".to_string(),
        RuleSlot::At(position) => format!("Routing rule {}", position + 1),
    };
    render(
        status,
        &RulePage {
            title,
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            action: slot.action(),
            original: typed.original,
            fields,
            enabled: typed.enabled,
            problem,
            keys: condition_keys(),
        },
    )
}

async fn new_rule(State(state): State<AppState>, viewer: Viewer) -> Response {
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let blank = RuleEditForm {
        enabled: true,
        ..RuleEditForm::default()
    };
    show_rule(&state, &viewer, StatusCode::OK, RuleSlot::New, blank, None).await
}

async fn edit_rule(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(position): Path<usize>,
) -> Response {
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let rules = match state.db.routing_rules().await {
        Ok(rules) => rules,
        Err(e) => return failure(Some(&viewer), e),
    };
    let Some(rule) = rules.get(position) else {
        return no_such_rule(&viewer, position);
    };
    let typed = RuleEditForm::of(rule);
    show_rule(
        &state,
        &viewer,
        StatusCode::OK,
        RuleSlot::At(position),
        typed,
        None,
    )
    .await
}

fn no_such_rule(viewer: &Viewer, position: usize) -> Response {
    failure(
        Some(viewer),
        baton_db::DbError::NotFound(format!(
            "Routing rule {} (/queues/rules/{position})",
            position + 1
        )),
    )
}

/// Adds the typed rule after the last one.
async fn add_rule(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<RuleEditForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    store_rule(&state, &viewer, RuleSlot::New, form).await
}

/// Replaces the rule at `position`, if it is still the one the page showed.
async fn save_rule(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(position): Path<usize>,
    Form(form): Form<RuleEditForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    store_rule(&state, &viewer, RuleSlot::At(position), form).await
}

/// Puts the typed rule in its slot and stores the rules whole, in order; a
/// refusal shows the page again with what was typed.
async fn store_rule(
    state: &AppState,
    viewer: &Viewer,
    slot: RuleSlot,
    form: RuleEditForm,
) -> Response {
    let rule = match form.rule() {
        (rule, None) => rule,
        (rule, Some(problem)) => {
            // Every problem at once: what storage says of the other fields.
            let refused = match state.db.checked_rule(&rule).await {
                Ok(()) => vec![problem],
                Err(e) => match e.field_problems() {
                    Ok(mut problems) => {
                        problems.insert(0, problem);
                        problems
                    }
                    Err(e) => return failure(Some(viewer), e),
                },
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return show_rule(state, viewer, status, slot, form, Some(refused)).await;
        }
    };
    // A change to another rule made meanwhile is kept, as in `change_rule`.
    for _ in 0..RETRIES {
        let mut rules = match state.db.routing_rules().await {
            Ok(rules) => rules,
            Err(e) => return failure(Some(viewer), e),
        };
        let based_on = fingerprint(&rules);
        match slot {
            RuleSlot::New => rules.push(rule.clone()),
            RuleSlot::At(position) => {
                let Some(shown) = rules.get(position) else {
                    return no_such_rule(viewer, position);
                };
                let now_there = fingerprint(shown);
                if form.original.as_ref() != Some(&now_there) {
                    let problem = format!(
                        "{STALE}: rule {} is now “{}”. Your changes are below; save again to put them in its place.",
                        position + 1,
                        shown.name
                    );
                    let form = RuleEditForm {
                        original: Some(now_there),
                        ..form
                    };
                    let refused = Some(vec![FieldError::new("", problem)]);
                    return show_rule(state, viewer, StatusCode::CONFLICT, slot, form, refused)
                        .await;
                }
                rules[position] = rule.clone();
            }
        }
        match stored(state, viewer, &rules, &based_on).await {
            Ok(Stored::Done) => return Redirect::to("/queues#rules").into_response(),
            Ok(Stored::ChangedMeanwhile) => continue,
            Ok(Stored::Refused(refused)) => {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return show_rule(state, viewer, status, slot, form, Some(refused)).await;
            }
            Err(e) => return failure(Some(viewer), e),
        }
    }
    let problem = format!("{STALE} while this was saved; save again to try once more.");
    let refused = Some(vec![FieldError::new("", problem)]);
    show_rule(state, viewer, StatusCode::CONFLICT, slot, form, refused).await
}

/// A member as listed on their queue's page, with a refused change kept.
struct ListedMember {
    user_id: i64,
    name: String,
    email: String,
    capacity: String,
    capacity_error: Option<String>,
    away: bool,
    open_items: i64,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    queue: Queue,
    settings: Vec<Field>,
    members: Vec<ListedMember>,
    new_member: Vec<Field>,
}

#[derive(Deserialize, Default)]
struct QueueForm {
    csrf: String,
    #[serde(default)]
    strategy: String,
    #[serde(default)]
    first_touch_sla_minutes: String,
    #[serde(default)]
    resolution_sla_minutes: String,
    #[serde(default)]
    escalation_queue: String,
    /// Absent from a form that does not offer it: the manager stays.
    #[serde(default)]
    manager_id: Option<String>,
}

impl QueueForm {
    /// The change typed, and each field that does not read (left out of
    /// the change).
    fn change(&self) -> (QueueChange, Vec<FieldError>) {
        let mut problems = Vec::new();
        let strategy = kept(
            &mut problems,
            self.strategy
                .parse()
                .map_err(|e: baton_core::domain::UnknownValue| {
                    FieldError::new("strategy", e.to_string())
                }),
        );
        let first_touch_sla_minutes = kept(
            &mut problems,
            parse_minutes("first_touch_sla_minutes", &self.first_touch_sla_minutes),
        );
        let resolution_sla_minutes = kept(
            &mut problems,
            parse_minutes("resolution_sla_minutes", &self.resolution_sla_minutes),
        );
        let manager_id = match self.manager_id.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(id) => kept(
                &mut problems,
                id.parse::<i64>()
                    .map(Some)
                    .map_err(|_| FieldError::new("manager_id", "choose a person from the list")),
            ),
        };
        let change = QueueChange {
            strategy,
            first_touch_sla_minutes,
            resolution_sla_minutes,
            escalation_queue: Some(
                Some(self.escalation_queue.trim().to_string()).filter(|slug| !slug.is_empty()),
            ),
            manager_id,
        };
        (change, problems)
    }
}

/// The value read, or `None` with its problem added to `problems`.
fn kept<T>(problems: &mut Vec<FieldError>, read: Result<T, FieldError>) -> Option<T> {
    read.map_err(|problem| problems.push(problem)).ok()
}

/// A refused form on a queue's page: which form, and what was typed.
enum Refused {
    Settings(QueueForm, Vec<FieldError>),
    NewMember(String, String),
    Capacity(i64, String, String),
}

async fn show_queue(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    refused: Option<Refused>,
) -> Response {
    let (queue, queues, people) =
        match tokio::try_join!(state.db.queue(slug), state.db.queues(), state.db.users()) {
            Ok(all) => all,
            Err(e) => return failure(Some(viewer), e),
        };
    let members = match state.db.queue_members(queue.id).await {
        Ok(members) => members,
        Err(e) => return failure(Some(viewer), e),
    };
    let typed = match &refused {
        Some(Refused::Settings(form, _)) => (
            form.strategy.clone(),
            form.first_touch_sla_minutes.clone(),
            form.resolution_sla_minutes.clone(),
            form.escalation_queue.clone(),
            form.manager_id.clone().unwrap_or_default(),
        ),
        _ => (
            queue.strategy.to_string(),
            queue.first_touch_sla_minutes.to_string(),
            queue.resolution_sla_minutes.to_string(),
            queue.escalation_queue.clone().unwrap_or_default(),
            queue
                .manager_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        ),
    };
    // Who may be a queue's manager: managers and owners still at work, and
    // the one it has, said to be gone when they left.
    let managers = std::iter::once((String::new(), "An owner".to_string()))
        .chain(people.iter().filter_map(|p| {
            if p.active && matches!(p.role, Role::Manager | Role::Owner) {
                Some((p.id.to_string(), p.name.clone()))
            } else if Some(p.id) == queue.manager_id {
                Some((
                    p.id.to_string(),
                    format!("{} (deactivated: breaches go to an owner)", p.name),
                ))
            } else {
                None
            }
        }))
        .collect();
    let strategies = Strategy::ALL
        .iter()
        .map(|s| (s.to_string(), strategy_label(*s).to_string()))
        .collect();
    let escalations = std::iter::once((String::new(), "None".to_string()))
        .chain(
            queues
                .iter()
                .filter(|q| q.id != queue.id)
                .map(|q| (q.slug.clone(), q.name.clone())),
        )
        .collect();
    let mut settings = vec![
        Field::choice("strategy", "Strategy", strategies, &typed.0),
        Field::input(
            "first_touch_sla_minutes",
            "First-touch SLA (business minutes)",
            "number",
            &typed.1,
        ),
        Field::input(
            "resolution_sla_minutes",
            "Resolution SLA (business minutes)",
            "number",
            &typed.2,
        ),
        Field::choice(
            "escalation_queue",
            "When an SLA is breached, escalate to",
            escalations,
            &typed.3,
        )
        .optional(),
        Field::choice(
            "manager_id",
            "Manager, whom a breach reaches last",
            managers,
            &typed.4,
        )
        .optional(),
    ];
    let mut new_member = vec![Field::input("email", "E-mail of the person", "email", "")];
    let mut capacity_refused = None;
    match refused {
        Some(Refused::Settings(_, problems)) => place_errors(&mut settings, problems),
        Some(Refused::NewMember(email, problem)) => {
            new_member[0].value = email;
            new_member[0].error = Some(problem);
        }
        Some(Refused::Capacity(user_id, typed, problem)) => {
            capacity_refused = Some((user_id, typed, problem));
        }
        None => {}
    }
    let members = members
        .into_iter()
        .map(|member| {
            let (capacity, capacity_error) = match &capacity_refused {
                Some((id, typed, problem)) if *id == member.user_id => {
                    (typed.clone(), Some(problem.clone()))
                }
                _ => (
                    member.capacity.map(|c| c.to_string()).unwrap_or_default(),
                    None,
                ),
            };
            ListedMember {
                user_id: member.user_id,
                name: member.name,
                email: member.email,
                capacity,
                capacity_error,
                away: member.away,
                open_items: member.open_items,
            }
        })
        .collect();
    let status = if capacity_refused.is_some()
        || settings
            .iter()
            .chain(&new_member)
            .any(|f| f.error.is_some())
    {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &QueuePage {
            title: queue.name.clone(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            queue,
            settings,
            members,
            new_member,
        },
    )
}

async fn queue_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Response {
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    show_queue(&state, &viewer, &slug, None).await
}

/// Whole business minutes from a form field.
fn parse_minutes(field: &str, typed: &str) -> Result<i64, FieldError> {
    typed
        .trim()
        .parse()
        .map_err(|_| FieldError::new(field, "write a whole number of minutes"))
}

async fn change_queue(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Form(form): Form<QueueForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let queue = match state.db.queue(&slug).await {
        Ok(queue) => queue,
        Err(e) => return failure(Some(&viewer), e),
    };
    let changed = match form.change() {
        (change, problems) if problems.is_empty() => state
            .db
            .change_queue(Some(viewer.id()), queue.id, &change)
            .await
            .map_err(refusal),
        // Every problem at once: what storage says of the fields that read.
        (change, problems) => Err(refusal(super::refused_with_all(
            state.db.checked_queue_change(queue.id, &change).await,
            problems,
        ))),
    };
    match changed {
        Ok(_) => Redirect::to(&format!("/queues/{slug}")).into_response(),
        Err(Ok(problems)) => {
            show_queue(
                &state,
                &viewer,
                &slug,
                Some(Refused::Settings(form, problems)),
            )
            .await
        }
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}

#[derive(Deserialize)]
struct NewMember {
    csrf: String,
    #[serde(default)]
    email: String,
}

async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Form(form): Form<NewMember>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let queue = match state.db.queue(&slug).await {
        Ok(queue) => queue,
        Err(e) => return failure(Some(&viewer), e),
    };
    let email = form.email.trim();
    let added = match state.db.user_by_email(email).await {
        Ok(user) => state
            .db
            .add_queue_member(Some(viewer.id()), queue.id, user.id)
            .await
            .map(drop),
        Err(baton_db::DbError::NotFound(_)) => Err(baton_db::DbError::invalid(
            "email",
            format!("nobody here has the e-mail {email}"),
        )),
        Err(e) => Err(e),
    };
    match added.map_err(refusal) {
        Ok(()) => Redirect::to(&format!("/queues/{slug}")).into_response(),
        Err(Ok(problems)) => {
            let refused = Refused::NewMember(form.email, problems_text(problems));
            show_queue(&state, &viewer, &slug, Some(refused)).await
        }
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}

#[derive(Deserialize)]
struct MemberForm {
    csrf: String,
    /// Most open items; empty removes the cap. Absent leaves it.
    capacity: Option<String>,
    /// `true` or `false`; absent leaves presence as it is.
    away: Option<bool>,
}

async fn change_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, user_id)): Path<(String, i64)>,
    Form(form): Form<MemberForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let capacity = match form.capacity.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(typed) => match typed.parse() {
            Ok(cap) => Some(Some(cap)),
            Err(_) => {
                let refused =
                    Refused::Capacity(user_id, typed.into(), "write a whole number".into());
                return show_queue(&state, &viewer, &slug, Some(refused)).await;
            }
        },
    };
    let queue = match state.db.queue(&slug).await {
        Ok(queue) => queue,
        Err(e) => return failure(Some(&viewer), e),
    };
    let change = MemberChange {
        capacity,
        away: form.away,
        ..MemberChange::default()
    };
    let changed = state
        .db
        .update_queue_member(Some(viewer.id()), queue.id, user_id, &change)
        .await;
    match changed.map_err(refusal) {
        Ok(_) => Redirect::to(&format!("/queues/{slug}")).into_response(),
        Err(Ok(problems)) => {
            let typed = form.capacity.unwrap_or_default();
            let refused = Refused::Capacity(user_id, typed, problems_text(problems));
            show_queue(&state, &viewer, &slug, Some(refused)).await
        }
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}

async fn remove_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((slug, user_id)): Path<(String, i64)>,
    Form(form): Form<ButtonForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !EDITORS.contains(&viewer.role()) {
        return refused(&viewer);
    }
    let removed = match state.db.queue(&slug).await {
        Ok(queue) => {
            state
                .db
                .remove_queue_member(Some(viewer.id()), queue.id, user_id)
                .await
        }
        Err(e) => Err(e),
    };
    match removed {
        Ok(()) => Redirect::to(&format!("/queues/{slug}")).into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::domain::Intent;

    #[test]
    fn business_minutes_read_as_hours_and_minutes() {
        assert_eq!(minutes(45), "45 min");
        assert_eq!(minutes(240), "4 h");
        assert_eq!(minutes(90), "1 h 30 min");
    }

    #[test]
    fn a_condition_reads_as_words() {
        assert_eq!(condition_text(&Condition::default()), "always");
        let billing = Condition {
            intents: vec![Intent::Billing, Intent::Collections],
            quarantined: Some(false),
            ..Default::default()
        };
        assert_eq!(
            condition_text(&billing),
            "not held as spam, and intent is billing or collections"
        );
    }
}
