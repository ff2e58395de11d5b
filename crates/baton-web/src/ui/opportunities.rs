//! The opportunity page: the deal's stage, amount and expected close,
//! changed in one form, won or lost (with the reason) in one click, and an
//! appointment with a decision maker scheduled.

use super::appointments::{self, AppointmentForm, Subject};
use super::session::csrf_refused;
use super::{
    Chrome, Field, Viewer, failure, message, money, parsed, place_errors, refusal, render,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::domain::OpportunityStage;
use baton_core::inquiry::FieldError;
use baton_core::money::Decimal;
use baton_db::opportunities::{Opportunity, OpportunityChange};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/opportunities/{id}", get(page).post(update))
        .route("/opportunities/{id}/won", post(won))
        .route("/opportunities/{id}/lost", post(lost))
        .route("/opportunities/{id}/appointments", post(schedule))
}

#[derive(Deserialize, Default)]
struct ChangeForm {
    csrf: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    expected_close: String,
    /// Offered to managers only; absent, the deal stays with its holder.
    #[serde(default)]
    owner_id: Option<String>,
}

/// Closing a deal: why it was lost, or (if one cares to say) won.
#[derive(Deserialize)]
struct CloseForm {
    csrf: String,
    #[serde(default)]
    close_reason: String,
}

/// A refused form of the page, as typed, with the field at fault and why.
enum Refused {
    Nothing,
    Change(ChangeForm, Vec<FieldError>),
    Won(CloseForm, Vec<FieldError>),
    Lost(CloseForm, Vec<FieldError>),
    Appointment(AppointmentForm, Vec<FieldError>),
}

#[derive(Template)]
#[template(path = "opportunity.html")]
struct OpportunityPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    deal: Opportunity,
    amount: String,
    owner: String,
    /// Empty once the deal is closed.
    change_fields: Vec<Field>,
    won_fields: Vec<Field>,
    lost_fields: Vec<Field>,
    /// Empty when no decision maker is known.
    appointment_fields: Vec<Field>,
    appointment_action: String,
    /// Where a decision maker is flagged, when none is known.
    decision_makers_page: String,
    /// Its appointments, soonest first: (when, what, status).
    booked: Vec<(String, String, String)>,
}

/// What an appointment from this page is about.
fn subject(deal: &Opportunity) -> Subject {
    Subject {
        account_id: deal.account_id,
        contact_id: deal.contact_id,
        lead_id: deal.lead_id,
        opportunity_id: Some(deal.id),
    }
}

/// The deal, when the viewer may work on it: its owner and managers.
async fn deal_for(state: &AppState, viewer: &Viewer, id: i64) -> Result<Opportunity, Response> {
    let deal = state
        .db
        .opportunity(id)
        .await
        .map_err(|e| failure(Some(viewer), e))?;
    if deal.owner_id == Some(viewer.id()) || viewer.role().is_manager() {
        Ok(deal)
    } else {
        Err(message(
            StatusCode::FORBIDDEN,
            Some(viewer),
            "Not your deal",
            format!("Opportunity {id} is another person's; its owner and managers work on it."),
        ))
    }
}

/// A deal `viewer` may work on: theirs or, for managers, anyone's, and only
/// while their role sells, as over the API. A deal can stay with someone
/// whose role changed since; it is theirs to read, no longer to change.
async fn deal_to_change(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<Opportunity, Response> {
    let deal = deal_for(state, viewer, id).await?;
    if viewer.role().sells() {
        Ok(deal)
    } else {
        Err(super::not_for_your_role(viewer, "change opportunities"))
    }
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    deal: Opportunity,
    refused: Refused,
    status: StatusCode,
) -> Response {
    let owner = match deal.owner_id {
        Some(id) => match state.db.user(id).await {
            Ok(user) => user.name,
            Err(e) => return failure(Some(viewer), e),
        },
        None => "nobody".into(),
    };
    let (mut change, mut won, mut lost, mut meeting) = (None, None, None, None);
    match refused {
        Refused::Nothing => {}
        Refused::Change(form, problems) => change = Some((form, problems)),
        Refused::Won(form, problems) => won = Some((form, problems)),
        Refused::Lost(form, problems) => lost = Some((form, problems)),
        Refused::Appointment(form, problems) => meeting = Some((form, problems)),
    }
    let appointment_fields =
        match appointments::fields(state, viewer, &subject(&deal), meeting).await {
            Ok(fields) => fields,
            Err(e) => return failure(Some(viewer), e),
        };
    let booked = match appointments::booked(state, viewer, &subject(&deal)).await {
        Ok(booked) => booked,
        Err(e) => return failure(Some(viewer), e),
    };
    let (mut change_fields, mut won_fields, mut lost_fields) = (Vec::new(), Vec::new(), Vec::new());
    if !deal.stage.is_closed() {
        let typed = change.as_ref().map(|(f, _)| f);
        let stages = OpportunityStage::ALL
            .iter()
            .filter(|s| !s.is_closed())
            .map(|s| (s.to_string(), s.to_string()))
            .collect();
        let amount = deal.amount.clone();
        let expected = deal.expected_close.clone().unwrap_or_default();
        change_fields = vec![
            Field::choice(
                "stage",
                "Stage",
                stages,
                typed.map_or(deal.stage.as_str(), |f| f.stage.as_str()),
            ),
            Field::input(
                "amount",
                "Amount",
                "text",
                typed.map_or(amount.as_str(), |f| f.amount.as_str()),
            ),
            Field::input(
                "expected_close",
                "Expected close",
                "date",
                typed.map_or(expected.as_str(), |f| f.expected_close.as_str()),
            )
            .optional(),
        ];
        // Managers hand a deal to another seller at work.
        if viewer.role().is_manager() {
            let people = match state.db.users().await {
                Ok(people) => people,
                Err(e) => return failure(Some(viewer), e),
            };
            let sellers = people
                .into_iter()
                .filter(|p| p.active && p.role.sells())
                .map(|p| (p.id.to_string(), format!("{} ({})", p.name, p.role)))
                .collect();
            let holder = deal.owner_id.map(|id| id.to_string()).unwrap_or_default();
            change_fields.push(
                Field::choice(
                    "owner_id",
                    "Held by",
                    sellers,
                    typed
                        .and_then(|f| f.owner_id.as_deref())
                        .unwrap_or(holder.as_str()),
                )
                // The appointment form beside it has a field of that name.
                .in_form("held"),
            );
        }
        if let Some((_, problems)) = change {
            place_errors(&mut change_fields, problems);
        }
        let typed = won.as_ref().map(|(f, _)| f);
        won_fields = vec![
            Field::input(
                "close_reason",
                "Why it was won (if you care to say)",
                "text",
                typed.map_or("", |f| f.close_reason.as_str()),
            )
            .optional()
            .in_form("won"),
        ];
        if let Some((_, problems)) = won {
            place_errors(&mut won_fields, problems);
        }
        let typed = lost.as_ref().map(|(f, _)| f);
        lost_fields = vec![Field::input(
            "close_reason",
            "Why it was lost",
            "text",
            typed.map_or("", |f| f.close_reason.as_str()),
        )];
        if let Some((_, problems)) = lost {
            place_errors(&mut lost_fields, problems);
        }
    }
    render(
        status,
        &OpportunityPage {
            title: deal.name.clone(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            amount: money(deal.amount_minor, &deal.currency),
            owner,
            appointment_action: format!("/opportunities/{}/appointments", deal.id),
            decision_makers_page: subject(&deal).decision_makers_page(),
            booked,
            deal,
            change_fields,
            won_fields,
            lost_fields,
            appointment_fields,
        },
    )
}

async fn page(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Response {
    match deal_for(&state, &viewer, id).await {
        Ok(deal) => show(&state, &viewer, deal, Refused::Nothing, StatusCode::OK).await,
        Err(response) => response,
    }
}

/// Applies a change; a refusal shows the page again with the form as typed.
async fn apply(
    state: &AppState,
    viewer: &Viewer,
    deal: Opportunity,
    change: baton_db::Result<OpportunityChange>,
    refused: impl FnOnce(Vec<FieldError>) -> Refused,
) -> Response {
    let outcome = match change {
        Ok(change) => state
            .db
            .update_opportunity(Some(viewer.id()), deal.id, &change)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    answer(state, viewer, deal, outcome, refused).await
}

/// Back to the page after a form that worked; the page again with the
/// form as typed after one that was refused.
async fn answer(
    state: &AppState,
    viewer: &Viewer,
    deal: Opportunity,
    outcome: baton_db::Result<()>,
    refused: impl FnOnce(Vec<FieldError>) -> Refused,
) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("/opportunities/{}", deal.id)).into_response(),
        Err(e) => match refusal(e) {
            Ok(problems) => {
                let refused = refused(problems);
                show(
                    state,
                    viewer,
                    deal,
                    refused,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(e) => failure(Some(viewer), e),
        },
    }
}

async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ChangeForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let deal = match deal_to_change(&state, &viewer, id).await {
        Ok(deal) => deal,
        Err(response) => return response,
    };
    let mut problems = Vec::new();
    // Only a manager hands a deal on; anyone else's form has no holder.
    let owner_id = match form.owner_id.as_deref().map(str::trim) {
        Some(id) if viewer.role().is_manager() => id.parse::<i64>().map_or_else(
            |_| {
                problems.push(FieldError::new("owner_id", "choose who holds the deal"));
                None
            },
            Some,
        ),
        _ => None,
    };
    let stage = parsed::<OpportunityStage>("stage", &form.stage, &mut problems);
    if stage.is_none() && !problems.iter().any(|p| p.field == "stage") {
        problems.push(FieldError::new("stage", "choose the deal's stage"));
    }
    let change = OpportunityChange {
        stage,
        amount: Some(Decimal(form.amount.trim().to_string())),
        expected_close: Some(form.expected_close.clone()),
        owner_id,
        ..Default::default()
    };
    let change = if problems.is_empty() {
        Ok(change)
    } else {
        // Every problem at once: what storage says of the fields that read.
        Err(super::refused_with_all(
            state.db.checked_opportunity_change(id, &change).await,
            problems,
        ))
    };
    apply(&state, &viewer, deal, change, |problems| {
        Refused::Change(form, problems)
    })
    .await
}

async fn won(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let deal = match deal_to_change(&state, &viewer, id).await {
        Ok(deal) => deal,
        Err(response) => return response,
    };
    let change = OpportunityChange {
        stage: Some(OpportunityStage::Won),
        close_reason: Some(form.close_reason.clone()),
        ..Default::default()
    };
    apply(&state, &viewer, deal, Ok(change), |problems| {
        Refused::Won(form, problems)
    })
    .await
}

async fn lost(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let deal = match deal_to_change(&state, &viewer, id).await {
        Ok(deal) => deal,
        Err(response) => return response,
    };
    let change = OpportunityChange {
        stage: Some(OpportunityStage::Lost),
        close_reason: Some(form.close_reason.clone()),
        ..Default::default()
    };
    apply(&state, &viewer, deal, Ok(change), |problems| {
        Refused::Lost(form, problems)
    })
    .await
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
    let deal = match deal_to_change(&state, &viewer, id).await {
        Ok(deal) => deal,
        Err(response) => return response,
    };
    let outcome = appointments::schedule(&state, &viewer, &subject(&deal), &form)
        .await
        .map(|_| ());
    answer(&state, &viewer, deal, outcome, |problems| {
        Refused::Appointment(form, problems)
    })
    .await
}
