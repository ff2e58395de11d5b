//! The organisation's settings: time zone and business hours, teams and
//! webhooks, each a list searched, filtered, sorted, paged and exported like
//! every list; and the index of every settings page a person may open.

use super::lists::{Cell, Column, ListRequest, ListSpec, ListView, Output, back_to, yes_no_filter};
use super::session::csrf_refused;
use super::{
    Chrome, Field, Viewer, failure, not_for_your_role, place_errors, problems_text, refusal,
    refused_with, render,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baton_core::domain::{Function, Role};
use baton_core::inquiry::FieldError;
use baton_db::settings::OrganisationChange;
use baton_db::teams::{TeamFilter, TeamSort};
use baton_db::webhooks::{EVENTS, WebhookChange, WebhookFilter, WebhookSort};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(index))
        .route(
            "/settings/organisation",
            get(organisation).post(change_organisation),
        )
        .route("/settings/teams", get(teams).post(create_team))
        .route("/settings/teams.csv", get(teams))
        .route("/settings/teams/{id}", post(change_team))
        .route("/settings/webhooks", get(webhooks).post(create_webhook))
        .route("/settings/webhooks.csv", get(webhooks))
        .route("/settings/webhooks/{id}/active", post(set_webhook_active))
}

/// Roles that see settings: managers read the organisation's and keep
/// teams and webhooks, as the API allows; the owner does everything.
pub const READERS: &[Role] = &[Role::Owner, Role::Manager];

/// Only the owner changes the organisation's time zone and hours.
const ORGANISATION_EDITORS: &[Role] = &[Role::Owner];

/// Every settings page: (address, name, who may open it).
const SECTIONS: &[(&str, &str, &[Role])] = &[
    (
        "/settings/organisation",
        "Time zone and business hours",
        READERS,
    ),
    (
        "/settings/people",
        "People and roles",
        super::people::READERS,
    ),
    ("/settings/teams", "Teams", READERS),
    ("/settings/tokens", "API tokens", super::people::EDITORS),
    ("/settings/webhooks", "Webhooks", READERS),
    ("/queues", "Queues and routing", super::queues::EDITORS),
];

#[derive(Template)]
#[template(path = "settings.html")]
struct IndexPage {
    title: String,
    chrome: Option<Chrome>,
    sections: Vec<(&'static str, &'static str)>,
}

async fn index(viewer: Viewer) -> Response {
    if !READERS.contains(&viewer.role()) {
        return not_for_your_role(&viewer, "change settings");
    }
    let sections = SECTIONS
        .iter()
        .filter(|(_, _, roles)| roles.contains(&viewer.role()))
        .map(|(path, name, _)| (*path, *name))
        .collect();
    render(
        StatusCode::OK,
        &IndexPage {
            title: "Settings".into(),
            chrome: Some(Chrome::for_viewer(&viewer)),
            sections,
        },
    )
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    can_edit: bool,
    fields: Vec<Field>,
}

#[derive(Deserialize)]
struct OrganisationForm {
    csrf: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    business_hours: String,
}

fn show_organisation(
    viewer: &Viewer,
    time_zone: &str,
    business_hours: &str,
    error: Option<Vec<FieldError>>,
) -> Response {
    let mut fields = vec![
        Field::input(
            "time_zone",
            "Time zone (IANA, such as Europe/Berlin)",
            "text",
            time_zone,
        ),
        Field::input(
            "business_hours",
            "Business hours (such as mon-fri 09:00-17:00, or with a lunch break mon-fri 09:00-12:00, mon-fri 13:00-17:00)",
            "text",
            business_hours,
        ),
    ];
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    if let Some(problems) = error {
        place_errors(&mut fields, problems);
    }
    render(
        status,
        &OrganisationPage {
            title: "Time zone and business hours".into(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            can_edit: ORGANISATION_EDITORS.contains(&viewer.role()),
            fields,
        },
    )
}

async fn organisation(State(state): State<AppState>, viewer: Viewer) -> Response {
    if !READERS.contains(&viewer.role()) {
        return not_for_your_role(&viewer, "read the organisation's settings");
    }
    match state.db.organisation().await {
        Ok(org) => show_organisation(&viewer, &org.time_zone, &org.business_hours, None),
        Err(e) => failure(Some(&viewer), e),
    }
}

async fn change_organisation(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<OrganisationForm>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !ORGANISATION_EDITORS.contains(&viewer.role()) {
        return not_for_your_role(&viewer, "change the organisation's settings");
    }
    let change = OrganisationChange {
        time_zone: Some(form.time_zone.clone()),
        business_hours: Some(form.business_hours.clone()),
        ..OrganisationChange::default()
    };
    match state
        .db
        .change_organisation(viewer.id(), &change)
        .await
        .map_err(refusal)
    {
        Ok(_) => Redirect::to("/settings/organisation").into_response(),
        Err(Ok(error)) => {
            show_organisation(&viewer, &form.time_zone, &form.business_hours, Some(error))
        }
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}

const TEAM_COLUMNS: &[Column] = &[
    Column::sorted("Team", "name"),
    Column::sorted("Function", "function"),
    Column::unsorted("People"),
    Column::sorted("Added", "created"),
];

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    list: ListView,
    /// The list's parameters, so adding, renaming or deleting a team
    /// returns to it.
    back: String,
    teams: Vec<TeamLine>,
    fields: Vec<Field>,
}

/// A team as its line on the page shows it, with its own controls.
struct TeamLine {
    id: i64,
    name: String,
    /// What the rename field holds: the name, or what was typed when the
    /// rename was refused.
    typed: String,
    /// Why a rename or deletion from this line was refused.
    error: Option<String>,
    function: String,
    /// How many people are in it: a team is deleted only when none are.
    members: i64,
    added: String,
}

/// A rename or deletion refused on one team's line.
struct LineRefusal {
    id: i64,
    typed: String,
    problems: Vec<FieldError>,
    status: StatusCode,
}

/// A team's new name, or its deletion, from its line.
#[derive(Deserialize)]
struct TeamChange {
    csrf: String,
    #[serde(default)]
    name: String,
    /// Sent by the line's delete button: the team goes rather than renamed.
    delete: Option<String>,
    /// The parameters of the list the team was changed from.
    #[serde(default)]
    back: String,
}

#[derive(Deserialize, Default)]
struct NewTeam {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    function: String,
    #[serde(default)]
    back: String,
}

/// The list of teams as `request` narrows it, as a page with the form to
/// add one, or as CSV.
async fn show_teams(
    state: &AppState,
    viewer: &Viewer,
    output: Output,
    request: &ListRequest,
    typed: &NewTeam,
    error: Option<Vec<FieldError>>,
    line_refused: Option<LineRefusal>,
) -> Response {
    let filter = TeamFilter {
        function: request.one_of::<Function>("serves"),
        search: request.search(),
    };
    let window = request.window::<TeamSort>(output);
    let listed = match state.db.team_list(&filter, &window).await {
        Ok(listed) => listed,
        Err(e) => return failure(Some(viewer), e),
    };
    let teams: Vec<TeamLine> = listed
        .rows
        .into_iter()
        .map(|line| {
            let team = line.team;
            let refused = line_refused.as_ref().filter(|r| r.id == team.id);
            TeamLine {
                id: team.id,
                typed: refused.map_or_else(|| team.name.clone(), |r| r.typed.clone()),
                error: refused.map(|r| {
                    let problems: Vec<&str> =
                        r.problems.iter().map(|p| p.problem.as_str()).collect();
                    problems.join("; ")
                }),
                name: team.name,
                function: team.function.to_string(),
                members: line.members,
                added: viewer.when(team.created_at),
            }
        })
        .collect();
    let spec = ListSpec {
        title: "Teams",
        path: "/settings/teams",
        columns: TEAM_COLUMNS,
        search_label: "Search name",
        empty: "No team yet. Teams group people of one function, such as the \
                hunters of a region; add one with the form below.",
        note: None,
        views: Vec::new(),
    };
    if output == Output::Csv {
        let rows = teams
            .into_iter()
            .map(|t| {
                vec![
                    Cell::text(t.name),
                    Cell::text(t.function),
                    Cell::text(t.members.to_string()),
                    Cell::text(t.added),
                ]
            })
            .collect();
        return super::lists::csv(viewer, request, &spec, rows);
    }
    let functions: Vec<(String, String)> = Function::ALL
        .iter()
        .map(|f| (f.to_string(), f.to_string()))
        .collect();
    let mut function_choices = vec![(String::new(), "Any function".to_string())];
    function_choices.extend(functions.iter().cloned());
    let filters = vec![
        // Not `function`, which the new team's own field is called.
        Field::choice(
            "serves",
            "Function",
            function_choices,
            request.get("serves"),
        )
        .optional(),
    ];
    let mut fields = vec![
        Field::input("name", "Name", "text", &typed.name),
        Field::choice("function", "Function", functions, &typed.function),
    ];
    let status = match (&error, &line_refused) {
        (Some(_), _) => StatusCode::UNPROCESSABLE_ENTITY,
        (None, Some(refused)) => refused.status,
        (None, None) => request.status(),
    };
    if let Some(problems) = error {
        place_errors(&mut fields, problems);
    }
    let list = ListView::new(request, spec, filters, &window, listed.total, teams.len());
    render(
        status,
        &TeamsPage {
            title: "Teams".into(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            list,
            back: request.query(&[]),
            teams,
            fields,
        },
    )
}

async fn teams(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    if !READERS.contains(&viewer.role()) {
        return not_for_your_role(&viewer, "keep teams");
    }
    let request = ListRequest::parse(raw.as_deref());
    show_teams(
        &state,
        &viewer,
        output,
        &request,
        &NewTeam::default(),
        None,
        None,
    )
    .await
}

async fn create_team(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<NewTeam>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !READERS.contains(&viewer.role()) {
        return not_for_your_role(&viewer, "keep teams");
    }
    let created = match form.function.parse::<Function>() {
        Ok(function) => state
            .db
            .create_team(Some(viewer.id()), &form.name, function)
            .await
            .map(drop),
        Err(e) => Err(refused_with(
            baton_db::teams::team_name(&form.name),
            FieldError::new("function", e.to_string()),
        )),
    };
    match created.map_err(refusal) {
        Ok(()) => Redirect::to(&back_to("/settings/teams", &form.back, &[])).into_response(),
        Err(Ok(error)) => {
            let request = ListRequest::parse(Some(&form.back));
            show_teams(
                &state,
                &viewer,
                Output::Page,
                &request,
                &form,
                Some(error),
                None,
            )
            .await
        }
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}

/// Most recent deliveries shown per webhook.
const RECENT_DELIVERIES: i64 = 10;

const WEBHOOK_COLUMNS: &[Column] = &[
    Column::sorted("Address", "url"),
    Column::unsorted("Events"),
    Column::unsorted("State"),
    Column::sorted("Added", "created"),
];

/// A webhook as listed, with its latest deliveries; never its secret.
struct ListedHook {
    id: i64,
    url: String,
    events: String,
    active: bool,
    added: String,
    deliveries: Vec<ListedDelivery>,
}

impl ListedHook {
    /// The webhook as a row of the CSV export, under [`WEBHOOK_COLUMNS`].
    fn cells(self) -> Vec<Cell> {
        let state = if self.active { "active" } else { "paused" };
        vec![
            Cell::text(self.url),
            Cell::text(self.events),
            Cell::text(state),
            Cell::text(self.added),
        ]
    }
}

/// A receiver's answer to one attempt: its status, or why there was none.
fn answer(code: Option<i64>, error: Option<&str>) -> String {
    match (code, error) {
        (Some(code), _) => format!("HTTP {code}"),
        (None, Some(error)) => error.to_string(),
        (None, None) => String::new(),
    }
}

struct ListedDelivery {
    event: String,
    status: String,
    attempts: i64,
    response: String,
    at: String,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    title: String,
    chrome: Option<Chrome>,
    csrf: String,
    list: ListView,
    /// The list's parameters, so pausing or resuming returns to it.
    back: String,
    hooks: Vec<ListedHook>,
    url: Field,
    /// (event, ticked) for the new webhook's boxes.
    events: Vec<(&'static str, bool)>,
    events_error: Option<String>,
    /// The signing secret of a webhook just added: shown this once.
    secret: Option<String>,
}

/// What was typed into the new-webhook form.
#[derive(Default)]
struct NewHook {
    url: String,
    events: Vec<String>,
}

/// The list of webhooks as `request` narrows it, each with its latest
/// deliveries, as a page with the form to add one, or as CSV.
async fn show_webhooks(
    state: &AppState,
    viewer: &Viewer,
    output: Output,
    request: &ListRequest,
    typed: &NewHook,
    error: Option<Vec<FieldError>>,
    secret: Option<String>,
) -> Response {
    let filter = WebhookFilter {
        active: request.yes_no("active"),
        search: request.search(),
    };
    let window = request.window::<WebhookSort>(output);
    let hooks = match state.db.webhook_list(&filter, &window).await {
        Ok(hooks) => hooks,
        Err(e) => return failure(Some(viewer), e),
    };
    let total = hooks.total;
    let mut listed = Vec::with_capacity(hooks.rows.len());
    for hook in hooks.rows {
        // The export holds the webhooks alone, so it reads no deliveries.
        let deliveries = match output {
            Output::Csv => Vec::new(),
            Output::Page => match state.db.deliveries(hook.id, None, RECENT_DELIVERIES).await {
                Ok(deliveries) => deliveries,
                Err(e) => return failure(Some(viewer), e),
            },
        };
        listed.push(ListedHook {
            id: hook.id,
            url: hook.url,
            events: hook.events.join(", "),
            active: hook.active,
            added: viewer.when(hook.created_at),
            deliveries: deliveries
                .into_iter()
                .map(|d| ListedDelivery {
                    event: d.event,
                    status: d.status,
                    attempts: d.attempts,
                    // Every attempt's answer, in order: a receiver that
                    // failed before it took the delivery shows it. One
                    // attempted before attempts were kept shows its last.
                    response: if d.history.is_empty() {
                        answer(d.response_code, d.last_error.as_deref())
                    } else {
                        d.history
                            .iter()
                            .map(|a| answer(a.response_code, a.error.as_deref()))
                            .collect::<Vec<_>>()
                            .join(" → ")
                    },
                    at: viewer.when(d.delivered_at.unwrap_or(d.created_at)),
                })
                .collect(),
        });
    }
    let spec = ListSpec {
        title: "Webhooks",
        path: "/settings/webhooks",
        columns: WEBHOOK_COLUMNS,
        search_label: "Search address",
        empty: "No webhook yet. Add one below to be told when inquiries are routed, \
                SLAs breached, leads move or forecasts arrive.",
        note: None,
        views: Vec::new(),
    };
    if output == Output::Csv {
        return super::lists::csv(
            viewer,
            request,
            &spec,
            listed.into_iter().map(ListedHook::cells).collect(),
        );
    }
    let filters = vec![yes_no_filter(
        request,
        "active",
        "State",
        ["Any", "Active", "Paused"],
    )];
    let list = ListView::new(request, spec, filters, &window, total, listed.len());
    let mut url = Field::input("url", "Address (http:// or https://)", "url", &typed.url);
    let mut events_error = None;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        request.status()
    };
    let (events, others): (Vec<_>, Vec<_>) = error
        .unwrap_or_default()
        .into_iter()
        .partition(|p| p.field == "events");
    if !events.is_empty() {
        events_error = Some(problems_text(events));
    }
    if !others.is_empty() {
        url.error = Some(problems_text(others));
    }
    render(
        status,
        &WebhooksPage {
            title: "Webhooks".into(),
            chrome: Some(Chrome::for_viewer(viewer)),
            csrf: viewer.session.csrf_token.clone(),
            list,
            back: request.query(&[]),
            hooks: listed,
            url,
            events: EVENTS
                .iter()
                .map(|e| (*e, typed.events.iter().any(|t| t == e)))
                .collect(),
            events_error,
            secret,
        },
    )
}

async fn webhooks(
    State(state): State<AppState>,
    viewer: Viewer,
    output: Output,
    RawQuery(raw): RawQuery,
) -> Response {
    if !READERS.contains(&viewer.role()) {
        return not_for_your_role(&viewer, "manage webhooks");
    }
    let request = ListRequest::parse(raw.as_deref());
    show_webhooks(
        &state,
        &viewer,
        output,
        &request,
        &NewHook::default(),
        None,
        None,
    )
    .await
}

async fn create_webhook(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(sent): Form<Vec<(String, String)>>,
) -> Response {
    if !viewer.csrf_in(&sent) {
        return csrf_refused();
    }
    if !READERS.contains(&viewer.role()) {
        return not_for_your_role(&viewer, "manage webhooks");
    }
    let mut typed = NewHook::default();
    let mut back = String::new();
    for (key, value) in sent {
        match key.as_str() {
            "url" => typed.url = value,
            "events" => typed.events.push(value),
            "back" => back = value,
            _ => {}
        }
    }
    let (typed, error, secret) = match state
        .db
        .create_webhook(viewer.id(), &typed.url, &typed.events)
        .await
        .map_err(refusal)
    {
        Ok((_, secret)) => (NewHook::default(), None, Some(secret)),
        Err(Ok(error)) => (typed, Some(error), None),
        Err(Err(e)) => return failure(Some(&viewer), e),
    };
    let request = ListRequest::parse(Some(&back));
    show_webhooks(
        &state,
        &viewer,
        Output::Page,
        &request,
        &typed,
        error,
        secret,
    )
    .await
}

#[derive(Deserialize)]
struct PauseOrResume {
    csrf: String,
    /// `1` resumes the webhook, `0` pauses it.
    active: u8,
    /// The parameters of the list the webhook was changed from.
    #[serde(default)]
    back: String,
}

/// Pauses a webhook whose address is down, or resumes it.
/// Renames a team from its line, or deletes it when the line's delete
/// button sent the form. A name taken or not a name, or a team people are
/// still in, is refused beside its line, the list kept.
async fn change_team(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<TeamChange>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !READERS.contains(&viewer.role()) {
        return not_for_your_role(&viewer, "keep teams");
    }
    let actor = Some(viewer.id());
    let changed = if form.delete.is_some() {
        state.db.delete_team(actor, id).await
    } else {
        state.db.rename_team(actor, id, &form.name).await.map(drop)
    };
    let status = match &changed {
        Err(baton_db::DbError::Conflict { .. }) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    match changed.map_err(refusal) {
        Ok(()) => Redirect::to(&back_to("/settings/teams", &form.back, &[])).into_response(),
        Err(Ok(problems)) => {
            let request = ListRequest::parse(Some(&form.back));
            let refused = LineRefusal {
                id,
                typed: form.name,
                problems,
                status,
            };
            show_teams(
                &state,
                &viewer,
                Output::Page,
                &request,
                &NewTeam::default(),
                None,
                Some(refused),
            )
            .await
        }
        Err(Err(e)) => failure(Some(&viewer), e),
    }
}

async fn set_webhook_active(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<PauseOrResume>,
) -> Response {
    if !viewer.csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    if !READERS.contains(&viewer.role()) {
        return not_for_your_role(&viewer, "manage webhooks");
    }
    let change = WebhookChange {
        active: Some(form.active != 0),
        ..WebhookChange::default()
    };
    match state.db.change_webhook(viewer.id(), id, &change).await {
        Ok(_) => Redirect::to(&back_to("/settings/webhooks", &form.back, &[])).into_response(),
        Err(e) => failure(Some(&viewer), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sortable_column_names_a_sort() {
        super::super::lists::assert_sorts_known::<WebhookSort>(WEBHOOK_COLUMNS);
        super::super::lists::assert_sorts_known::<TeamSort>(TEAM_COLUMNS);
    }
}
