//! Call sheets: each person's calls for a day or a week, drawn from their
//! work (open work items, open deals, customers gone quiet) and ranked by
//! [`CallPriority`]. Marking a line done logs the activity with its outcome;
//! managers read completion by person and week.

use crate::activities::{NewActivity, insert_activity_in};
use crate::charter::ActivityType;
use crate::checks::{Table, optional, required};
use crate::connect::Db;
use crate::error::{DbError, Refusals, Result};
use crate::listing::{Conditions, Direction, Listed, SortColumn, Window};
use crate::now_ms;
use crate::sql::{CHUNK, Value, bind, insert_rows, placeholders};
use crate::users::audit_in;
use baton_core::call_sheet::CallPriority;
use baton_core::domain::{AccountStatus, Function, OpportunityStage, SheetPeriod, WorkStatus};
use jiff::civil::Date;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{HashMap, HashSet};

/// Customers not touched for this long are due a call.
const QUIET_CUSTOMER_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// Most candidates read from each source.
const SOURCE_LIMIT: i64 = 1_000;
/// Activity type logged for a line when none is given, while the charter has it.
const CALL_TYPE: &str = "call";

/// The activity type a call is logged as when none is named: `call` while
/// the charter in force has it; else the first type of the person's own
/// function, so that a call is not counted as another function's work;
/// else the charter's first.
pub fn default_call_type(types: &[ActivityType], function: Option<Function>) -> Option<&str> {
    types
        .iter()
        .find(|t| t.slug == CALL_TYPE)
        .or_else(|| types.iter().find(|t| Some(t.function) == function))
        .or_else(|| types.first())
        .map(|t| t.slug.as_str())
}

/// How many calls fit on a sheet of `period`.
fn max_lines(period: SheetPeriod) -> usize {
    match period {
        SheetPeriod::Day => 25,
        SheetPeriod::Week => 100,
    }
}

/// A call sheet with its lines in order.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CallSheet {
    pub id: i64,
    pub user_id: i64,
    pub period: SheetPeriod,
    /// First day covered, `YYYY-MM-DD` (a Monday for a week).
    pub starts_on: String,
    /// Monday of the week the sheet falls in.
    pub week_starts_on: String,
    pub generated_at: i64,
    pub lines: Vec<CallLine>,
}

/// Whether making a call sheet made a new one or refreshed the one there was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    New,
    Refreshed,
}

/// One call to make.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CallLine {
    pub id: i64,
    pub position: i64,
    pub work_item_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub account_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// Whom to call.
    pub subject: String,
    pub phone: Option<String>,
    /// Why the call is on the sheet.
    pub reason: String,
    pub due_at: Option<i64>,
    pub score: Option<i64>,
    pub value_minor: Option<i64>,
    pub currency: Option<String>,
    pub last_touch_at: Option<i64>,
    pub done_at: Option<i64>,
    pub outcome: Option<String>,
    /// The activity logged when the line was done.
    pub activity_id: Option<i64>,
}

/// A sheet in a list, without its lines.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CallSheetSummary {
    pub id: i64,
    pub user_id: i64,
    pub period: SheetPeriod,
    pub starts_on: String,
    pub generated_at: i64,
    pub lines: i64,
    pub done: i64,
}

/// Filters for listing sheets; empty means any.
#[derive(Debug, Clone, Default)]
pub struct CallSheetFilter {
    pub user_id: Option<i64>,
    pub period: Option<SheetPeriod>,
    /// First day, inclusive.
    pub from: Option<Date>,
    /// Last day, inclusive.
    pub to: Option<Date>,
}

/// The columns the list of call sheets sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetSort {
    Date,
    Person,
    Completion,
}

impl SortColumn for SheetSort {
    const ALL: &'static [Self] = &[SheetSort::Date, SheetSort::Person, SheetSort::Completion];
    /// The newest sheets first, unless the address says otherwise.
    const DIRECTION: Direction = Direction::Descending;

    fn key(self) -> &'static str {
        match self {
            SheetSort::Date => "date",
            SheetSort::Person => "person",
            SheetSort::Completion => "completion",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            SheetSort::Date => "r.starts_on",
            SheetSort::Person => "r.person_lower",
            SheetSort::Completion => "r.done_permille",
        }
    }
}

/// A sheet as the list of call sheets shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetLine {
    pub sheet: CallSheetSummary,
    pub person: String,
}

// Completion in thousandths, an integer on both backends, to sort by.
const SHEET_LINES: &str = "SELECT s.id, s.user_id, u.name AS person, LOWER(u.name) AS person_lower,
        s.period, s.starts_on, s.generated_at, COUNT(l.id) AS lines, COUNT(l.done_at) AS done,
        CASE WHEN COUNT(l.id) = 0 THEN 0 ELSE COUNT(l.done_at) * 1000 / COUNT(l.id) END
            AS done_permille
     FROM call_sheets s JOIN users u ON u.id = s.user_id
     LEFT JOIN call_sheet_lines l ON l.sheet_id = s.id
     GROUP BY s.id, s.user_id, u.name, s.period, s.starts_on, s.generated_at";

fn sheet_line(row: &AnyRow) -> Result<SheetLine> {
    let period: String = row.try_get("period")?;
    Ok(SheetLine {
        sheet: CallSheetSummary {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            period: period_from(&period)?,
            starts_on: row.try_get("starts_on")?,
            generated_at: row.try_get("generated_at")?,
            lines: row.try_get("lines")?,
            done: row.try_get("done")?,
        },
        person: row.try_get("person")?,
    })
}

/// How a call went.
#[derive(Debug, Clone, Default)]
pub struct CallOutcome {
    /// What happened, e.g. "left a message" or "meeting booked".
    pub outcome: String,
    /// An activity type of the charter; `call` when absent.
    pub type_slug: Option<String>,
    pub notes: Option<String>,
}

/// Lines and lines done for one person in one week.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SheetCompletion {
    pub user_id: i64,
    pub user_name: String,
    /// Monday of the week.
    pub week_starts_on: String,
    /// Calls on the week's sheets, each once however many sheets list it.
    pub lines: i64,
    /// Of them, those done.
    pub done: i64,
    /// Done as a share of lines, 0 to 1.
    pub completion: f64,
}

/// Call sheet completion per person and week.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CompletionReport {
    /// First day asked for; its whole week is counted.
    pub from: String,
    /// Last day asked for.
    pub to: String,
    pub rows: Vec<SheetCompletion>,
}

/// A call found in someone's work, before it is given a place.
#[derive(Debug, Clone)]
struct Candidate {
    work_item_id: Option<i64>,
    lead_id: Option<i64>,
    opportunity_id: Option<i64>,
    account_id: Option<i64>,
    contact_id: Option<i64>,
    subject: String,
    phone: Option<String>,
    reason: String,
    priority: CallPriority,
    currency: Option<String>,
}

impl Candidate {
    /// What a line is about, so a call done today is not offered again.
    fn key(&self) -> (Option<i64>, Option<i64>, Option<i64>) {
        line_key(self.work_item_id, self.opportunity_id, self.account_id)
    }
}

fn line_key(
    work_item_id: Option<i64>,
    opportunity_id: Option<i64>,
    account_id: Option<i64>,
) -> (Option<i64>, Option<i64>, Option<i64>) {
    match (work_item_id, opportunity_id) {
        (Some(w), _) => (Some(w), None, None),
        (None, Some(o)) => (None, Some(o), None),
        (None, None) => (None, None, account_id),
    }
}

/// [`line_key`] in SQL over the lines `l`: the columns `k1`, `k2`, `k3`,
/// 0 where the key has none.
const LINE_KEY: &str = "COALESCE(l.work_item_id, 0) AS k1,
     CASE WHEN l.work_item_id IS NULL THEN COALESCE(l.opportunity_id, 0) ELSE 0 END AS k2,
     CASE WHEN l.work_item_id IS NULL AND l.opportunity_id IS NULL THEN COALESCE(l.account_id, 0)
          ELSE 0 END AS k3";

/// Whom a line names: the contact, else the company, else `fallback`.
fn subject(
    contact_name: Option<String>,
    contact_email: Option<String>,
    account_name: Option<&str>,
    fallback: String,
) -> String {
    let person = contact_name.or(contact_email);
    match (person, account_name) {
        (Some(person), Some(account)) => format!("{person} ({account})"),
        (Some(person), None) => person,
        (None, Some(account)) => account.to_string(),
        (None, None) => fallback,
    }
}

/// Monday of `day`'s week.
pub(crate) fn monday_of(day: Date) -> Date {
    let back = i64::from(day.weekday().to_monday_zero_offset());
    day.checked_sub(jiff::Span::new().days(back)).unwrap_or(day)
}

const LINE_SELECT: &str = "SELECT id, position, work_item_id, lead_id, opportunity_id, account_id,
        contact_id, subject, phone, reason, due_at, score, value_minor, currency, last_touch_at,
        done_at, outcome, activity_id
     FROM call_sheet_lines";

// Written out because a line has more columns than sqlx reads into a tuple.
impl<'r> sqlx::FromRow<'r, AnyRow> for CallLine {
    fn from_row(row: &'r AnyRow) -> std::result::Result<Self, sqlx::Error> {
        Ok(CallLine {
            id: row.try_get("id")?,
            position: row.try_get("position")?,
            work_item_id: row.try_get("work_item_id")?,
            lead_id: row.try_get("lead_id")?,
            opportunity_id: row.try_get("opportunity_id")?,
            account_id: row.try_get("account_id")?,
            contact_id: row.try_get("contact_id")?,
            subject: row.try_get("subject")?,
            phone: row.try_get("phone")?,
            reason: row.try_get("reason")?,
            due_at: row.try_get("due_at")?,
            score: row.try_get("score")?,
            value_minor: row.try_get("value_minor")?,
            currency: row.try_get("currency")?,
            last_touch_at: row.try_get("last_touch_at")?,
            done_at: row.try_get("done_at")?,
            outcome: row.try_get("outcome")?,
            activity_id: row.try_get("activity_id")?,
        })
    }
}

fn period_from(stored: &str) -> Result<SheetPeriod> {
    stored
        .parse()
        .map_err(|e| DbError::invalid("period", format!("stored value: {e}")))
}

impl Db {
    /// Makes `user_id`'s sheet for the day or week containing `day`, or
    /// refreshes it: lines already done stay, open lines are ranked again
    /// from the work as it is now.
    pub async fn generate_call_sheet(
        &self,
        actor: Option<i64>,
        user_id: i64,
        period: SheetPeriod,
        day: Date,
    ) -> Result<(CallSheet, Made)> {
        self.ensure_exists("user_id", Table::Users, Some(user_id))
            .await?;
        let week_starts_on = monday_of(day);
        let (starts_on, last_day) = match period {
            SheetPeriod::Day => (day, day),
            SheetPeriod::Week => (
                week_starts_on,
                week_starts_on
                    .checked_add(jiff::Span::new().days(6))
                    .unwrap_or(Date::MAX),
            ),
        };
        // A sheet is made from the work open now: one for a period already
        // over would rewrite that period's record with today's work.
        let today = self.today().await?;
        if last_day < today {
            return Err(DbError::invalid(
                "date",
                format!(
                    "{day} is in a {} already over: a call sheet is made from the work open now, \
                     so it is made for today or a day to come",
                    match period {
                        SheetPeriod::Day => "day",
                        SheetPeriod::Week => "week",
                    }
                ),
            ));
        }
        let mut candidates = self.call_candidates(user_id).await?;
        candidates.sort_by_key(|c| c.priority);
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let before: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM call_sheets WHERE user_id = $1 AND period = $2 AND starts_on = $3",
        )
        .bind(user_id)
        .bind(period.as_str())
        .bind(starts_on.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let made = if before.is_some() {
            Made::Refreshed
        } else {
            Made::New
        };
        let (sheet_id,): (i64,) = sqlx::query_as(
            "INSERT INTO call_sheets (user_id, period, starts_on, week_starts_on, generated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (user_id, period, starts_on) DO UPDATE SET generated_at = excluded.generated_at
             RETURNING id",
        )
        .bind(user_id)
        .bind(period.as_str())
        .bind(starts_on.to_string())
        .bind(week_starts_on.to_string())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        // (id, work item, deal, account, position, done at).
        type Line = (i64, Option<i64>, Option<i64>, Option<i64>, i64, Option<i64>);
        let lines: Vec<Line> = sqlx::query_as(
            "SELECT id, work_item_id, opportunity_id, account_id, position, done_at
             FROM call_sheet_lines WHERE sheet_id = $1",
        )
        .bind(sheet_id)
        .fetch_all(&mut *tx)
        .await?;
        let (done, open): (Vec<Line>, Vec<Line>) = lines
            .into_iter()
            .partition(|(.., done_at)| done_at.is_some());
        let mut taken: HashSet<_> = done
            .iter()
            .map(|(_, w, o, a, _, _)| line_key(*w, *o, *a))
            .collect();
        let mut leads_taken = HashSet::new();
        let next_position = done
            .iter()
            .map(|(.., position, _)| *position)
            .max()
            .unwrap_or(0)
            + 1;
        let room = max_lines(period).saturating_sub(done.len());
        let chosen: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| taken.insert(c.key()))
            // A lead's work item and its deal are one call.
            .filter(|c| c.lead_id.is_none_or(|lead| leads_taken.insert(lead)))
            .take(room)
            .collect();
        // A call done on another of the person's sheets of the week (a day's
        // and the week's) is the same call: here it is done too, once.
        let done_elsewhere: Vec<(Option<i64>, Option<i64>, Option<i64>, i64, Option<String>, Option<i64>)> =
            sqlx::query_as(
                "SELECT l.work_item_id, l.opportunity_id, l.account_id, l.done_at, l.outcome, l.activity_id
                 FROM call_sheet_lines l JOIN call_sheets s ON s.id = l.sheet_id
                 WHERE s.user_id = $1 AND s.week_starts_on = $2 AND s.id <> $3
                   AND l.done_at IS NOT NULL",
            )
            .bind(user_id)
            .bind(week_starts_on.to_string())
            .bind(sheet_id)
            .fetch_all(&mut *tx)
            .await?;
        let done_elsewhere: HashMap<_, _> = done_elsewhere
            .into_iter()
            .map(|(w, o, a, at, outcome, activity)| (line_key(w, o, a), (at, outcome, activity)))
            .collect();
        // An open line still chosen keeps its id, so a page showing it can
        // still mark it done; the others go.
        let mut open_ids: HashMap<_, i64> = open
            .iter()
            .map(|(id, w, o, a, _, _)| (line_key(*w, *o, *a), *id))
            .collect();
        let mut rows: Vec<Vec<Value>> = Vec::with_capacity(chosen.len());
        for (c, position) in chosen.iter().zip(next_position..) {
            let (done_at, outcome, activity) = match done_elsewhere.get(&c.key()) {
                Some((at, outcome, activity)) => (Some(*at), outcome.clone(), *activity),
                None => (None, None, None),
            };
            let mut row: Vec<Value> = vec![
                position.into(),
                c.work_item_id.into(),
                c.lead_id.into(),
                c.opportunity_id.into(),
                c.account_id.into(),
                c.contact_id.into(),
                c.subject.as_str().into(),
                c.phone.as_deref().into(),
                c.reason.as_str().into(),
                c.priority.due_at.into(),
                c.priority.score.into(),
                c.priority.value_minor.into(),
                c.currency.as_deref().into(),
                c.priority.last_touch_at.into(),
                done_at.into(),
                outcome.as_deref().into(),
                activity.into(),
            ];
            match open_ids.remove(&c.key()) {
                Some(id) => {
                    let update = sqlx::query(
                        "UPDATE call_sheet_lines SET position = $1, work_item_id = $2, lead_id = $3,
                             opportunity_id = $4, account_id = $5, contact_id = $6, subject = $7,
                             phone = $8, reason = $9, due_at = $10, score = $11, value_minor = $12,
                             currency = $13, last_touch_at = $14, done_at = $15, outcome = $16,
                             activity_id = $17
                         WHERE id = $18",
                    );
                    bind(update, &row).bind(id).execute(&mut *tx).await?;
                }
                None => {
                    row.insert(0, sheet_id.into());
                    rows.push(row);
                }
            }
        }
        let dropped: Vec<i64> = open_ids.into_values().collect();
        for chunk in dropped.chunks(CHUNK) {
            let delete = format!(
                "DELETE FROM call_sheet_lines WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut delete = sqlx::query(&delete);
            for id in chunk {
                delete = delete.bind(*id);
            }
            delete.execute(&mut *tx).await?;
        }
        insert_rows::<(i64,)>(
            &mut tx,
            "INSERT INTO call_sheet_lines (sheet_id, position, work_item_id, lead_id, opportunity_id,
                 account_id, contact_id, subject, phone, reason, due_at, score, value_minor, currency,
                 last_touch_at, done_at, outcome, activity_id)",
            "",
            &rows,
        )
        .await?;
        audit_in(
            &mut *tx,
            actor,
            "call_sheet.generated",
            "call_sheet",
            Some(sheet_id),
            &serde_json::json!({"user_id": user_id, "period": period.as_str(),
                "starts_on": starts_on.to_string(), "lines_chosen": chosen.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok((self.call_sheet(sheet_id).await?, made))
    }

    /// Calls found in `user_id`'s work, unranked.
    async fn call_candidates(&self, user_id: i64) -> Result<Vec<Candidate>> {
        let (items, deals, customers) = tokio::try_join!(
            self.work_item_calls(user_id),
            self.deal_calls(user_id),
            self.quiet_customer_calls(user_id),
        )?;
        Ok(items.into_iter().chain(deals).chain(customers).collect())
    }

    /// Open work items assigned to the person, due under their SLA.
    async fn work_item_calls(&self, user_id: i64) -> Result<Vec<Candidate>> {
        let rows: Vec<(
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
        )> = sqlx::query_as(
            // Work without a lead (service, operations) is about the
            // person and company of its inquiry.
            "SELECT w.id, w.lead_id, c.id, a.id, c.name, c.email, c.phone, a.name,
                 w.first_touched_at, w.first_touch_due_at, w.resolution_due_at, l.score,
                 (SELECT MAX(t.occurred_at) FROM activities t WHERE t.lead_id = w.lead_id)
             FROM work_items w
             LEFT JOIN leads l ON l.id = w.lead_id
             LEFT JOIN inquiries i ON i.id = w.inquiry_id
             LEFT JOIN contacts c ON c.id = COALESCE(l.contact_id, i.contact_id)
             LEFT JOIN accounts a ON a.id = COALESCE(l.account_id, i.account_id)
             WHERE w.assignee_id = $1 AND w.status IN ($2, $3)
             ORDER BY w.id LIMIT $4",
        )
        .bind(user_id)
        .bind(WorkStatus::Assigned.as_str())
        .bind(WorkStatus::Accepted.as_str())
        .bind(SOURCE_LIMIT)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    lead_id,
                    contact_id,
                    account_id,
                    contact_name,
                    contact_email,
                    phone,
                    account_name,
                    first_touched_at,
                    first_touch_due_at,
                    resolution_due_at,
                    score,
                    last_activity_at,
                )| {
                    // Taking the work up is a touch, as is any activity.
                    let last_touch_at = last_activity_at.max(first_touched_at);
                    let (due_at, what) = match first_touched_at {
                        None => (first_touch_due_at, "first touch"),
                        Some(_) => (resolution_due_at, "resolution"),
                    };
                    Candidate {
                        work_item_id: Some(id),
                        lead_id,
                        opportunity_id: None,
                        account_id,
                        contact_id,
                        subject: subject(
                            contact_name,
                            contact_email,
                            account_name.as_deref(),
                            format!("work item {id}"),
                        ),
                        phone,
                        reason: format!("work item {id}: {what} due under the queue's SLA"),
                        priority: CallPriority {
                            due_at: Some(due_at),
                            score,
                            value_minor: None,
                            last_touch_at,
                        },
                        currency: None,
                    }
                },
            )
            .collect())
    }

    /// Open deals the person owns.
    async fn deal_calls(&self, user_id: i64) -> Result<Vec<Candidate>> {
        let rows: Vec<(
            i64,
            String,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
            i64,
            String,
            Option<i64>,
            Option<i64>,
        )> = sqlx::query_as(
            "SELECT o.id, o.name, o.lead_id, o.contact_id, o.account_id, c.name, c.email, c.phone,
                 a.name, o.stage, o.expected_close, o.amount_minor, o.currency, l.score,
                 (SELECT MAX(t.occurred_at) FROM activities t WHERE t.opportunity_id = o.id)
             FROM opportunities o
             LEFT JOIN contacts c ON c.id = o.contact_id
             LEFT JOIN accounts a ON a.id = o.account_id
             LEFT JOIN leads l ON l.id = o.lead_id
             WHERE o.owner_id = $1 AND o.stage NOT IN ($2, $3)
             ORDER BY o.id LIMIT $4",
        )
        .bind(user_id)
        .bind(OpportunityStage::Won.as_str())
        .bind(OpportunityStage::Lost.as_str())
        .bind(SOURCE_LIMIT)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    name,
                    lead_id,
                    contact_id,
                    account_id,
                    contact_name,
                    contact_email,
                    phone,
                    account_name,
                    stage,
                    expected_close,
                    amount_minor,
                    currency,
                    score,
                    last_touch_at,
                )| {
                    let closing = expected_close
                        .map(|day| format!(", expected to close {day}"))
                        .unwrap_or_default();
                    Candidate {
                        work_item_id: None,
                        lead_id,
                        opportunity_id: Some(id),
                        account_id,
                        contact_id,
                        subject: subject(
                            contact_name,
                            contact_email,
                            account_name.as_deref(),
                            name.clone(),
                        ),
                        phone,
                        reason: format!("open deal “{name}” in {stage}{closing}"),
                        priority: CallPriority {
                            due_at: None,
                            score,
                            value_minor: Some(amount_minor),
                            last_touch_at,
                        },
                        currency: Some(currency),
                    }
                },
            )
            .collect())
    }

    /// Customer accounts the person owns that nobody has touched for 30 days.
    async fn quiet_customer_calls(&self, user_id: i64) -> Result<Vec<Candidate>> {
        let rows: Vec<(
            i64,
            String,
            String,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
        )> = sqlx::query_as(
            "SELECT a.id, a.name, a.tier,
                 (SELECT MAX(t.occurred_at) FROM activities t WHERE t.account_id = a.id),
                 c.id, c.name, c.email, c.phone
             FROM accounts a
             LEFT JOIN contacts c ON c.id = (SELECT c2.id FROM contacts c2 WHERE c2.account_id = a.id
                                             ORDER BY c2.decision_maker DESC, c2.id LIMIT 1)
             WHERE a.owner_id = $1 AND a.status = $2
             ORDER BY a.id LIMIT $3",
        )
        .bind(user_id)
        .bind(AccountStatus::Customer.as_str())
        .bind(SOURCE_LIMIT)
        .fetch_all(self.reader())
        .await?;
        let quiet_since = now_ms() - QUIET_CUSTOMER_MS;
        Ok(rows
            .into_iter()
            .filter(|row| row.3.is_none_or(|last| last < quiet_since))
            .map(
                |(
                    id,
                    name,
                    tier,
                    last_touch_at,
                    contact_id,
                    contact_name,
                    contact_email,
                    phone,
                )| {
                    let quiet = match last_touch_at {
                        Some(last) => {
                            format!("not contacted for {} days", (now_ms() - last) / 86_400_000)
                        }
                        None => "never contacted".to_string(),
                    };
                    Candidate {
                        work_item_id: None,
                        lead_id: None,
                        opportunity_id: None,
                        account_id: Some(id),
                        contact_id,
                        subject: subject(contact_name, contact_email, Some(&name), name.clone()),
                        phone,
                        reason: format!("tier {tier} customer {quiet}"),
                        priority: CallPriority {
                            last_touch_at,
                            ..CallPriority::default()
                        },
                        currency: None,
                    }
                },
            )
            .collect())
    }

    /// One sheet with its lines in order.
    pub async fn call_sheet(&self, id: i64) -> Result<CallSheet> {
        let sheet: Option<(i64, i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, user_id, period, starts_on, week_starts_on, generated_at
             FROM call_sheets WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        let (id, user_id, period, starts_on, week_starts_on, generated_at) =
            sheet.ok_or_else(|| DbError::NotFound(format!("call sheet {id}")))?;
        let lines: Vec<CallLine> = sqlx::query_as(&format!(
            "{LINE_SELECT} WHERE sheet_id = $1 ORDER BY position"
        ))
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        Ok(CallSheet {
            id,
            user_id,
            period: period_from(&period)?,
            starts_on,
            week_starts_on,
            generated_at,
            lines,
        })
    }

    /// Sheets after the cursor `after` (an id) matching the filter.
    pub async fn call_sheets(
        &self,
        filter: &CallSheetFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<CallSheetSummary>> {
        let rows: Vec<(i64, i64, String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT s.id, s.user_id, s.period, s.starts_on, s.generated_at,
                 COUNT(l.id), COUNT(l.done_at)
             FROM call_sheets s LEFT JOIN call_sheet_lines l ON l.sheet_id = s.id
             WHERE s.id > $1 AND ($2 = 0 OR s.user_id = $2) AND ($3 = '' OR s.period = $3)
               AND s.starts_on >= $4 AND s.starts_on <= $5
             GROUP BY s.id, s.user_id, s.period, s.starts_on, s.generated_at
             ORDER BY s.id LIMIT $6",
        )
        .bind(after)
        .bind(filter.user_id.unwrap_or(0))
        .bind(filter.period.map(|p| p.as_str()).unwrap_or_default())
        .bind(filter.from.map(|d| d.to_string()).unwrap_or_default())
        .bind(
            filter
                .to
                .map(|d| d.to_string())
                .unwrap_or_else(|| "9999-12-31".into()),
        )
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(
                |(id, user_id, period, starts_on, generated_at, lines, done)| {
                    Ok(CallSheetSummary {
                        id,
                        user_id,
                        period: period_from(&period)?,
                        starts_on,
                        generated_at,
                        lines,
                        done,
                    })
                },
            )
            .collect()
    }

    /// A window of the sheets `filter` picks; `search` finds sheets with a
    /// call whose subject holds each of its words.
    pub async fn call_sheet_list(
        &self,
        filter: &CallSheetFilter,
        search: &str,
        window: &Window<SheetSort>,
    ) -> Result<Listed<SheetLine>> {
        let mut conditions = Conditions::default();
        conditions.equal("r.user_id = ?", filter.user_id);
        conditions.equal("r.period = ?", filter.period.map(|p| p.as_str()));
        conditions.equal("r.starts_on >= ?", filter.from.map(|d| d.to_string()));
        conditions.equal("r.starts_on <= ?", filter.to.map(|d| d.to_string()));
        conditions.search(
            &[
                "EXISTS (SELECT 1 FROM call_sheet_lines sl WHERE sl.sheet_id = r.id \
               AND LOWER(sl.subject) LIKE ? ESCAPE '\\')",
            ],
            search,
        );
        self.list(SHEET_LINES, &conditions, window, sheet_line)
            .await
    }

    /// Marks a line of `sheet` (read and checked by the caller) done and
    /// logs its activity, for the sheet's person and about what the line
    /// names, in the same transaction. A line is done once, however many
    /// try at the same time.
    pub async fn complete_call_line(
        &self,
        actor: Option<i64>,
        sheet: &CallSheet,
        line_id: i64,
        call: &CallOutcome,
    ) -> Result<CallLine> {
        let sheet_id = sheet.id;
        let line = sheet
            .lines
            .iter()
            .find(|l| l.id == line_id)
            .ok_or_else(|| DbError::NotFound(format!("line {line_id} of call sheet {sheet_id}")))?;
        if line.done_at.is_some() {
            return Err(DbError::conflict(
                "line",
                "this call is already marked done",
            ));
        }
        let mut refusals = Refusals::default();
        let outcome =
            refusals.value(required("outcome", &call.outcome, "say how the call went"))?;
        let type_slug = match optional(call.type_slug.as_deref()) {
            Some(named) => named,
            None => {
                let (charter, person) =
                    tokio::try_join!(self.current_charter(), self.user(sheet.user_id))?;
                default_call_type(&charter.activity_types, person.role.function())
                    .unwrap_or(CALL_TYPE)
                    .to_string()
            }
        };
        let activity = NewActivity {
            type_slug,
            user_id: sheet.user_id,
            occurred_at: None,
            contact_id: line.contact_id,
            account_id: line.account_id,
            lead_id: line.lead_id,
            opportunity_id: line.opportunity_id,
            outcome: Some(outcome.clone()),
            notes: call.notes.clone(),
        };
        let checked = refusals.value(self.check_activity(&activity).await.map(Some))?;
        let checked = refusals.finish_with(checked)?;
        let mut tx = self.begin_write().await?;
        let activity_id = insert_activity_in(&mut tx, actor, &checked).await?;
        let marked = sqlx::query(
            "UPDATE call_sheet_lines SET done_at = $1, outcome = $2, activity_id = $3
             WHERE id = $4 AND sheet_id = $5 AND done_at IS NULL",
        )
        .bind(now_ms())
        .bind(&outcome)
        .bind(activity_id)
        .bind(line_id)
        .bind(sheet_id)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() == 0 {
            // Someone marked it in the meantime; the activity goes with the rollback.
            return Err(DbError::conflict(
                "line",
                "this call is already marked done",
            ));
        }
        // The same call on the person's other sheets of the week (a day's
        // and the week's) is the same call, done once.
        let key = line_key(line.work_item_id, line.opportunity_id, line.account_id);
        sqlx::query(&format!(
            "UPDATE call_sheet_lines SET done_at = $1, outcome = $2, activity_id = $3
             WHERE done_at IS NULL AND id IN (
                 SELECT id FROM (SELECT l.id, {LINE_KEY} FROM call_sheet_lines l
                                 JOIN call_sheets s ON s.id = l.sheet_id
                                 WHERE s.user_id = $4 AND s.week_starts_on = $5 AND s.id <> $6) o
                 WHERE o.k1 = $7 AND o.k2 = $8 AND o.k3 = $9)"
        ))
        .bind(now_ms())
        .bind(&outcome)
        .bind(activity_id)
        .bind(sheet.user_id)
        .bind(&sheet.week_starts_on)
        .bind(sheet_id)
        .bind(key.0.unwrap_or(0))
        .bind(key.1.unwrap_or(0))
        .bind(key.2.unwrap_or(0))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(sqlx::query_as(&format!("{LINE_SELECT} WHERE id = $1"))
            .bind(line_id)
            .fetch_one(self.reader())
            .await?)
    }

    /// Calls and calls done per person and week for weeks starting from
    /// `from` to `to` (Mondays, inclusive); `user_id` narrows to one person.
    /// A call on several of the week's sheets (a day's and the week's)
    /// counts once, done when it was done on any of them.
    pub async fn call_sheet_completion(
        &self,
        from: Date,
        to: Date,
        user_id: Option<i64>,
    ) -> Result<CompletionReport> {
        if to < from {
            return Err(DbError::invalid(
                "to",
                format!("{to} is before `from` ({from})"),
            ));
        }
        let rows: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(&format!(
            "SELECT c.user_id, u.name, c.week_starts_on, COUNT(*), CAST(SUM(c.done) AS BIGINT)
             FROM (SELECT k.user_id, k.week_starts_on,
                       MAX(CASE WHEN k.done_at IS NULL THEN 0 ELSE 1 END) AS done
                   FROM (SELECT s.user_id, s.week_starts_on, l.done_at, {LINE_KEY}
                         FROM call_sheets s JOIN call_sheet_lines l ON l.sheet_id = s.id
                         WHERE s.week_starts_on >= $1 AND s.week_starts_on <= $2
                           AND ($3 = 0 OR s.user_id = $3)) k
                   GROUP BY k.user_id, k.week_starts_on, k.k1, k.k2, k.k3) c
             JOIN users u ON u.id = c.user_id
             GROUP BY c.user_id, u.name, c.week_starts_on
             ORDER BY c.week_starts_on, u.name, c.user_id"
        ))
        .bind(monday_of(from).to_string())
        .bind(to.to_string())
        .bind(user_id.unwrap_or(0))
        .fetch_all(self.reader())
        .await?;
        let rows = rows
            .into_iter()
            .map(
                |(user_id, user_name, week_starts_on, lines, done)| SheetCompletion {
                    user_id,
                    user_name,
                    week_starts_on,
                    lines,
                    done,
                    completion: if lines == 0 {
                        0.0
                    } else {
                        done as f64 / lines as f64
                    },
                },
            )
            .collect();
        Ok(CompletionReport {
            from: from.to_string(),
            to: to.to_string(),
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_starts_on_its_monday() {
        let sunday: Date = "2026-11-29".parse().unwrap();
        let monday: Date = "2026-11-23".parse().unwrap();
        assert_eq!(monday_of(sunday), monday);
        assert_eq!(monday_of(monday), monday);
        assert_eq!(monday_of("2026-11-27".parse().unwrap()), monday);
    }

    #[test]
    fn a_line_names_the_person_and_their_company() {
        assert_eq!(
            subject(Some("Ada".into()), None, Some("Acme"), "x".into()),
            "Ada (Acme)"
        );
        assert_eq!(
            subject(None, Some("ada@acme.test".into()), None, "x".into()),
            "ada@acme.test"
        );
        assert_eq!(subject(None, None, Some("Acme"), "x".into()), "Acme");
        assert_eq!(subject(None, None, None, "lead 4".into()), "lead 4");
    }
}
