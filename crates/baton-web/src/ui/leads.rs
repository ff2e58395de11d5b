//! The lead page: where a lead stands and what was done about it, with the
//! next steps: log an activity, convert the lead to an opportunity, hand its
//! work to someone else, schedule an appointment with a decision maker.

use super::appointments::{self, AppointmentForm, Subject};
use super::session::csrf_refused;
use super::{Chrome, Field, Viewer, failure, message, place_errors, refusal, refused_with, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::domain::Stage;
use baton_core::inquiry::FieldError;
use baton_core::money::Decimal;
use baton_db::activities::{ActivityFilter, NewActivity};
use baton_db::leads::Lead;
use baton_db::opportunities::{NewOpportunity, OpportunityFilter};
use baton_db::work_items::{WorkFilter, WorkItem, WorkOf};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/leads/{id}", get(page))
        .route("/leads/{id}/activities", post(log_activity))
        .route("/leads/{id}/opportunity", post(convert))
        .route("/leads/{id}/reassign", post(reassign))
        .route("/leads/{id}/stage", post(move_stage))
        .route("/leads/{id}/appointments", post(schedule))
}

#[derive(Deserialize, Default)]
struct ActivityForm {
    csrf: String,
    #[serde(default, rename = "type")]
    type_slug: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
}

#[derive(Deserialize, Default)]
struct ConvertForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    expected_close: String,
}

#[derive(Deserialize, Default)]
struct ReassignForm {
    csrf: String,
    #[serde(default)]
    assignee_id: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize, Default)]
struct StageForm {
    csrf: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    reason: String,
}

/// A refused form of the page, as typed, with the fields at fault and why.
enum Refused {
    Nothing,
    Stage(StageForm, Vec<FieldError>),
    Activity(ActivityForm, Vec<FieldError>),
    Convert(ConvertForm, Vec<FieldError>),
    Reassign(ReassignForm, Vec<FieldError>),
    Appointment(AppointmentForm, Vec<FieldError>),
}

/// One logged activity as shown.
struct Logged {
    when: String,
    kind: String,
    by: String,
    outcome: String,
    notes: String,
}

#[derive(Template)]
#[template(path = "lead.html")]
struct LeadPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    lead: Lead,
    contact: String,
    /// Its account: id and name.
    account: Option<(i64, String)>,
    /// The deals opened on it: id and what to call them.
    deals: Vec<(i64, String)>,
    owner: String,
    activities: Vec<Logged>,
    /// The viewer sees only the activities they logged, as over the API.
    own_activities: bool,
    /// What happened to the lead's work items, oldest first: (when, what).
    work: Vec<(String, String)>,
    /// The stages it went through, oldest first: (when, move, reason, by).
    stages: Vec<(String, String, String, String)>,
    /// Empty when the viewer may not move it, or it has become a customer.
    stage_fields: Vec<Field>,
    activity_fields: Vec<Field>,
    /// Empty when the lead is past converting.
    convert_fields: Vec<Field>,
    /// The open work item and the fields to hand it on, when the viewer may.
    reassign: Option<(i64, Vec<Field>)>,
    /// Empty when no decision maker is known.
    appointment_fields: Vec<Field>,
    appointment_action: String,
    /// Where a decision maker is flagged, when none is known.
    decision_makers_page: String,
    /// Its appointments, soonest first: (when, what, status).
    booked: Vec<(String, String, String)>,
}

impl LeadPage {
    fn score(&self) -> String {
        super::score_and_grade(self.lead.score, self.lead.grade)
    }
}

/// What an appointment from this page is about.
fn subject(lead: &Lead) -> Subject {
    Subject {
        account_id: lead.account_id,
        contact_id: lead.contact_id,
        lead_id: Some(lead.id),
        opportunity_id: None,
    }
}

/// The lead, when the viewer may work on it: managers, its owner and the
/// members of the queues that hold its work.
async fn lead_for(state: &AppState, viewer: &Viewer, id: i64) -> Result<Lead, Response> {
    let lead = state
        .db
        .lead(id)
        .await
        .map_err(|e| failure(Some(viewer), e))?;
    let visible = viewer.role().is_manager()
        || state
            .db
            .lead_visible_to(id, viewer.id())
            .await
            .map_err(|e| failure(Some(viewer), e))?;
    if visible {
        Ok(lead)
    } else {
        Err(message(
            StatusCode::FORBIDDEN,
            Some(viewer),
            "Not in your queues",
            format!("Lead {id} belongs to another team's work."),
        ))
    }
}

/// The lead's work still open, the latest first.
async fn open_work(state: &AppState, lead: i64) -> baton_db::Result<Option<WorkItem>> {
    let filter = WorkFilter {
        lead_id: Some(lead),
        ..Default::default()
    };
    let items = state.db.work_items(&filter, 0, 100).await?;
    Ok(items.into_iter().rev().find(|item| item.status.is_open()))
}

/// The assignee hands their own work on; managers anybody's.
pub fn may_hand_on(viewer: &Viewer, item: &WorkItem) -> bool {
    item.assignee_id == Some(viewer.id()) || viewer.role().is_manager()
}

/// Stages from which a lead can still become a deal.
fn convertible(stage: Stage) -> bool {
    !matches!(
        stage,
        Stage::Opportunity | Stage::Customer | Stage::Disqualified
    )
}

/// Why the viewer may not turn the lead into a deal, if they may not: only
/// sellers who hold the lead (or a manager) do, once, before it is a deal,
/// won or disqualified; the same rule as the API's.
async fn conversion_refused(
    state: &AppState,
    viewer: &Viewer,
    lead: &Lead,
) -> baton_db::Result<Option<(StatusCode, String)>> {
    if !convertible(lead.stage) {
        return Ok(Some((
            StatusCode::CONFLICT,
            format!(
                "Lead {} is {}, so it cannot become a new deal from here.",
                lead.id, lead.stage
            ),
        )));
    }
    let role = viewer.role();
    if !role.sells() {
        return Ok(Some((
            StatusCode::FORBIDDEN,
            format!(
                "{} does not open deals; hunters, farmers and managers do.",
                role.a_person(true)
            ),
        )));
    }
    if !role.is_manager() && !state.db.lead_held_by(lead.id, viewer.id()).await? {
        return Ok(Some((
            StatusCode::FORBIDDEN,
            format!(
                "Lead {} is held by someone else: its owner, the person assigned its work or a manager opens its deal.",
                lead.id
            ),
        )));
    }
    Ok(None)
}

/// The lead page again with a refused form's problem beside its field, or
/// the failure page for any other error.
async fn show_refusal(
    state: &AppState,
    viewer: &Viewer,
    lead: Lead,
    error: baton_db::DbError,
    refused: impl FnOnce(Vec<FieldError>) -> Refused,
) -> Response {
    let status = match error {
        baton_db::DbError::Conflict { .. } => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    match refusal(error) {
        Ok(problems) => {
            let refused = refused(problems);
            show(state, viewer, lead, refused, status).await
        }
        Err(e) => failure(Some(viewer), e),
    }
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    lead: Lead,
    refused: Refused,
    status: StatusCode,
) -> Response {
    let built = async {
        let people = state.db.users().await?;
        let name_of = |id: Option<i64>| {
            people
                .iter()
                .find(|u| Some(u.id) == id)
                .map_or_else(|| "nobody".to_string(), |u| u.name.clone())
        };
        let charter = state.db.current_charter().await?;
        let known: Vec<String> = match lead.contact_id {
            Some(id) => {
                let contact = state.db.contact(id).await?;
                [contact.name, contact.email]
                    .into_iter()
                    .flatten()
                    .collect()
            }
            None => Vec::new(),
        };
        let account = match lead.account_id {
            Some(id) => Some((id, state.db.account(id).await?.name)),
            None => None,
        };
        // The deals opened on it that the viewer may open.
        let on_the_lead = OpportunityFilter {
            lead_id: Some(lead.id),
            owner_id: viewer.limited_to(),
            ..Default::default()
        };
        let deals = state
            .db
            .opportunities(&on_the_lead, 0, 20)
            .await?
            .into_iter()
            .map(|deal| (deal.id, format!("{} ({})", deal.name, deal.stage)))
            .collect();
        let contact = if known.is_empty() {
            "no contact".to_string()
        } else {
            known.join(", ")
        };
        // A deal is named after the person: their name, else their address.
        let default_name = match known.first() {
            Some(who) => format!("{who} — lead {}", lead.id),
            None => format!("Lead {}", lead.id),
        };
        // As over the API: one's own activities, managers everyone's.
        let filter = ActivityFilter {
            lead_id: Some(lead.id),
            user_id: viewer.limited_to(),
            ..Default::default()
        };
        let (logged, type_names) = tokio::try_join!(
            state.db.activities(&filter, 0, 200),
            state.db.activity_types_ever()
        )?;
        let activities = logged
            .into_iter()
            .map(|a| Logged {
                when: viewer.when(a.occurred_at),
                kind: type_names
                    .get(&a.type_slug)
                    .map_or_else(|| a.type_slug.clone(), |(name, _)| name.clone()),
                by: name_of(Some(a.user_id)),
                outcome: a.outcome.unwrap_or_default(),
                notes: a.notes.unwrap_or_default(),
            })
            .collect();
        let types = charter
            .activity_types
            .iter()
            .map(|t| (t.slug.clone(), format!("{} ({})", t.name, t.function)))
            .collect();
        let work_history = state
            .db
            .work_history(WorkOf::Lead(lead.id))
            .await?
            .iter()
            .map(|e| (viewer.when(e.at), super::inquiries::work_event(e)))
            .collect();
        let stages = state
            .db
            .lead_stage_history(lead.id)
            .await?
            .into_iter()
            .map(|change| {
                let moved = match change.from_stage {
                    Some(from) => format!("{from} → {}", change.to_stage),
                    None => change.to_stage.to_string(),
                };
                let by = change
                    .actor_id
                    .map_or_else(|| "Baton".to_string(), |id| name_of(Some(id)));
                (viewer.when(change.at), moved, change.reason, by)
            })
            .collect();
        let work = open_work(state, lead.id).await?;
        let csrf = viewer.session.csrf_token.clone();

        let (mut activity, mut convert, mut handing, mut meeting) = (None, None, None, None);
        let mut moving = None;
        match refused {
            Refused::Nothing => {}
            Refused::Stage(form, problems) => moving = Some((form, problems)),
            Refused::Activity(form, problems) => activity = Some((form, problems)),
            Refused::Convert(form, problems) => convert = Some((form, problems)),
            Refused::Reassign(form, problems) => handing = Some((form, problems)),
            Refused::Appointment(form, problems) => meeting = Some((form, problems)),
        }
        let appointment_fields =
            appointments::fields(state, viewer, &subject(&lead), meeting).await?;
        let booked = appointments::booked(state, viewer, &subject(&lead)).await?;
        let typed = activity.as_ref().map(|(f, _)| f);
        let mut activity_fields = vec![
            Field::choice(
                "type",
                "What you did",
                types,
                typed.map_or("call", |f| f.type_slug.as_str()),
            ),
            Field::input(
                "outcome",
                "Outcome",
                "text",
                typed.map_or("", |f| f.outcome.as_str()),
            )
            .optional(),
            Field::input(
                "notes",
                "Notes",
                "text",
                typed.map_or("", |f| f.notes.as_str()),
            )
            .optional(),
        ];
        if let Some((_, mut problems)) = activity {
            for problem in &mut problems {
                if problem.field == "type_slug" {
                    problem.field = "type".into();
                }
            }
            place_errors(&mut activity_fields, problems);
        }

        // Stages that follow from deals (opportunity, customer) are not
        // chosen; a customer stays one.
        let mut stage_fields = Vec::new();
        if lead.stage != Stage::Customer && may_move(state, viewer, lead.id).await? {
            let typed = moving.as_ref().map(|(f, _)| f);
            let choices = std::iter::once((String::new(), "Choose a stage".to_string()))
                .chain(
                    Stage::ALL
                        .iter()
                        .filter(|s| {
                            **s != lead.stage && !matches!(s, Stage::Opportunity | Stage::Customer)
                        })
                        .map(|s| (s.as_str().to_string(), s.to_string())),
                )
                .collect();
            stage_fields = vec![
                Field::choice(
                    "stage",
                    "Move to",
                    choices,
                    typed.map_or("", |f| f.stage.as_str()),
                )
                .in_form("move"),
                Field::input(
                    "reason",
                    "Why it moves",
                    "text",
                    typed.map_or("", |f| f.reason.as_str()),
                )
                .in_form("move"),
            ];
            if let Some((_, problems)) = moving {
                place_errors(&mut stage_fields, problems);
            }
        }

        let mut convert_fields = Vec::new();
        if conversion_refused(state, viewer, &lead).await?.is_none() {
            let typed = convert.as_ref().map(|(f, _)| f);
            convert_fields = vec![
                Field::input(
                    "name",
                    "Deal name",
                    "text",
                    typed.map_or(default_name.as_str(), |f| f.name.as_str()),
                ),
                Field::input(
                    "amount",
                    "Amount",
                    "text",
                    typed.map_or("", |f| f.amount.as_str()),
                ),
                Field::input(
                    "expected_close",
                    "Expected close",
                    "date",
                    typed.map_or("", |f| f.expected_close.as_str()),
                )
                .optional(),
            ];
            if let Some((_, problems)) = convert {
                place_errors(&mut convert_fields, problems);
            }
        }

        // A holder hands work on to someone who can take it over; a manager
        // to anyone.
        let takers = match work.as_ref().filter(|_| !viewer.role().is_manager()) {
            Some(item) => Some(state.db.may_take_over(&item.queue).await?),
            None => None,
        };
        let reassign = work.filter(|item| may_hand_on(viewer, item)).map(|item| {
            let typed = handing.as_ref().map(|(f, _)| f);
            // Nobody is chosen until the holder chooses: work is never
            // handed to whoever happens to come first.
            let options = std::iter::once((String::new(), "Choose a person".to_string()))
                .chain(
                    people
                        .iter()
                        .filter(|u| u.active && Some(u.id) != item.assignee_id)
                        .filter(|u| takers.as_ref().is_none_or(|takers| takers.contains(&u.id)))
                        .map(|u| (u.id.to_string(), format!("{} ({})", u.name, u.role))),
                )
                .collect();
            let mut fields = vec![
                Field::choice(
                    "assignee_id",
                    "Hand to",
                    options,
                    typed.map_or("", |f| f.assignee_id.as_str()),
                ),
                Field::input(
                    "reason",
                    "Why",
                    "text",
                    typed.map_or("", |f| f.reason.as_str()),
                ),
            ];
            if let Some((_, problems)) = handing {
                place_errors(&mut fields, problems);
            }
            (item.id, fields)
        });

        Ok::<_, baton_db::DbError>(LeadPage {
            title: format!("Lead {}", lead.id),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf,
            owner: name_of(lead.owner_id),
            appointment_action: format!("/leads/{}/appointments", lead.id),
            decision_makers_page: subject(&lead).decision_makers_page(),
            booked,
            lead,
            contact,
            account,
            deals,
            activities,
            own_activities: viewer.limited_to().is_some(),
            work: work_history,
            stages,
            stage_fields,
            activity_fields,
            convert_fields,
            reassign,
            appointment_fields,
        })
    };
    match built.await {
        Ok(page) => render(status, &page),
        Err(e) => failure(Some(viewer), e),
    }
}

async fn page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    match lead_for(&state, &viewer, id).await {
        Ok(lead) => show(&state, &viewer, lead, Refused::Nothing, StatusCode::OK).await,
        Err(response) => response,
    }
}

async fn log_activity(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ActivityForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let lead = match lead_for(&state, &viewer, id).await {
        Ok(lead) => lead,
        Err(response) => return response,
    };
    let new = NewActivity {
        type_slug: form.type_slug.clone(),
        user_id: viewer.id(),
        contact_id: lead.contact_id,
        account_id: lead.account_id,
        lead_id: Some(lead.id),
        outcome: Some(form.outcome.clone()),
        notes: Some(form.notes.clone()),
        ..Default::default()
    };
    match state.db.create_activity(Some(viewer.id()), &new).await {
        Ok(_) => Redirect::to(&format!("/leads/{id}")).into_response(),
        Err(e) => {
            show_refusal(&state, &viewer, lead, e, |problems| {
                Refused::Activity(form, problems)
            })
            .await
        }
    }
}

async fn convert(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ConvertForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let lead = match lead_for(&state, &viewer, id).await {
        Ok(lead) => lead,
        Err(response) => return response,
    };
    match conversion_refused(&state, &viewer, &lead).await {
        Ok(None) => {}
        Ok(Some((status, why))) => {
            return message(status, Some(&viewer), "Not a deal from here", why);
        }
        Err(e) => return failure(Some(&viewer), e),
    }
    let new = NewOpportunity {
        name: form.name.clone(),
        account_id: lead.account_id,
        contact_id: lead.contact_id,
        lead_id: Some(lead.id),
        owner_id: viewer.id(),
        product: None,
        amount: Decimal(form.amount.trim().to_string()),
        currency: None,
        stage: None,
        probability: None,
        forecast_category: None,
        expected_close: Some(form.expected_close.clone()),
    };
    match state.db.create_opportunity(Some(viewer.id()), &new).await {
        Ok(deal) => Redirect::to(&format!("/opportunities/{}", deal.id)).into_response(),
        // Converted meanwhile, by another tab or person.
        Err(baton_db::DbError::Conflict { field, problem }) if field == "lead_id" => message(
            StatusCode::CONFLICT,
            Some(&viewer),
            "Not a deal from here",
            format!("{problem}."),
        ),
        Err(e) => {
            show_refusal(&state, &viewer, lead, e, |problems| {
                Refused::Convert(form, problems)
            })
            .await
        }
    }
}

async fn reassign(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ReassignForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let lead = match lead_for(&state, &viewer, id).await {
        Ok(lead) => lead,
        Err(response) => return response,
    };
    let item = match open_work(&state, id).await {
        Ok(Some(item)) if may_hand_on(&viewer, &item) => item,
        Ok(Some(_)) => {
            return message(
                StatusCode::FORBIDDEN,
                Some(&viewer),
                "Not yours",
                "Only the assignee or a manager can hand this lead's work on.".into(),
            );
        }
        // Finished (a deal opened, the lead closed) since the page was shown.
        Ok(None) => {
            return message(
                StatusCode::CONFLICT,
                Some(&viewer),
                "No open work",
                format!("Lead {id} has no open work to hand on: it was finished meanwhile."),
            );
        }
        Err(e) => return failure(Some(&viewer), e),
    };
    let outcome = match form.assignee_id.trim().parse::<i64>() {
        Ok(to) => state
            .db
            .reassign_work_item(viewer.id(), item.id, to, &form.reason)
            .await
            .map(|_| ()),
        Err(_) => Err(refused_with(
            baton_db::work_items::handover_reason(&form.reason),
            FieldError::new("assignee_id", "choose who takes the work"),
        )),
    };
    match outcome {
        Ok(()) => Redirect::to("/work").into_response(),
        Err(e) => {
            show_refusal(&state, &viewer, lead, e, |problems| {
                Refused::Reassign(form, problems)
            })
            .await
        }
    }
}

/// Whether the viewer may move the lead on: a manager, or whoever holds it
/// (see [`baton_db::Db::lead_held_by`]), as over the API.
async fn may_move(state: &AppState, viewer: &Viewer, lead: i64) -> baton_db::Result<bool> {
    Ok(viewer.role().is_manager() || state.db.lead_held_by(lead, viewer.id()).await?)
}

/// Moves the lead to another stage, with the reason every move needs; its
/// work follows it as over the API.
async fn move_stage(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<StageForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let lead = match lead_for(&state, &viewer, id).await {
        Ok(lead) => lead,
        Err(response) => return response,
    };
    match may_move(&state, &viewer, id).await {
        Ok(true) => {}
        Ok(false) => {
            return message(
                StatusCode::FORBIDDEN,
                Some(&viewer),
                "Not yours",
                format!(
                    "Lead {id} is held by someone else: its owner, the person assigned its work or a manager moves it."
                ),
            );
        }
        Err(e) => return failure(Some(&viewer), e),
    }
    let moved = match form.stage.trim().parse::<Stage>() {
        Ok(to) => state
            .db
            .move_lead(viewer.id(), id, to, &form.reason)
            .await
            .map(|_| ()),
        Err(_) => {
            let mut problems = vec![FieldError::new(
                "stage",
                "choose the stage the lead moves to",
            )];
            if form.reason.trim().is_empty() {
                problems.push(FieldError::new("reason", "say why the lead changes stage"));
            }
            Err(baton_db::DbError::InvalidFields(problems))
        }
    };
    match moved {
        Ok(()) => Redirect::to(&format!("/leads/{id}")).into_response(),
        Err(e) => {
            show_refusal(&state, &viewer, lead, e, |problems| {
                Refused::Stage(form, problems)
            })
            .await
        }
    }
}

async fn schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<AppointmentForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let lead = match lead_for(&state, &viewer, id).await {
        Ok(lead) => lead,
        Err(response) => return response,
    };
    match appointments::schedule(&state, &viewer, &subject(&lead), &form).await {
        Ok(_) => Redirect::to(&format!("/leads/{id}")).into_response(),
        Err(e) => {
            show_refusal(&state, &viewer, lead, e, |problems| {
                Refused::Appointment(form, problems)
            })
            .await
        }
    }
}
