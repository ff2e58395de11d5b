//! The read half of processing: everything a batch needs is read in a few
//! queries (one per kind of lookup, not per inquiry), then each inquiry is
//! decided in memory.

use crate::connect::Db;
use crate::error::Result;
use crate::forms::form_attributions_in;
use crate::models::ActiveModels;
use crate::queues::rules_in;
use crate::sql::{CHUNK, placeholders};
use baton_core::decision::{IntentDecision, Moderation, Reason, Score};
use baton_core::domain::{AccountStatus, Channel, Intent, Tier, Verdict};
use baton_core::inquiry::Inquiry;
use baton_core::intake::read;
use baton_core::learn::combine::{classify_with, moderate_with, score_with};
use baton_core::learn::inputs::{Known, row};
use baton_core::learn::train::Task;
use baton_core::moderation::{ModerationConfig, Signals, moderate};
use baton_core::routing::{RouteDecision, RoutingFacts, Rule, route};
use baton_core::scoring::{ScoringConfig, score};
use baton_core::sla::BusinessHours;
use baton_core::triage::{MatchedAccount, classify};
use std::collections::{BTreeSet, HashMap, HashSet};

/// A stored inquiry waiting to be processed.
pub struct Pending {
    pub id: i64,
    pub received_at: i64,
    pub channel: Channel,
    /// Where it came from, as `form:contact` for a hosted form.
    pub origin: String,
    pub raw: Vec<u8>,
    pub content_hash: String,
}

/// The organisation's settings that processing reads, once per batch.
pub struct Context {
    pub moderation: ModerationConfig,
    pub scoring: ScoringConfig,
    pub rules: Vec<Rule>,
    pub hours: BusinessHours,
    /// The learned models beside the rules; none means the rules decide alone.
    pub models: ActiveModels,
}

/// The contact and account an inquiry was matched to.
#[derive(Default)]
pub struct Match {
    pub contact_id: Option<i64>,
    pub account_id: Option<i64>,
    pub account: Option<MatchedAccount>,
    pub tier: Option<Tier>,
    pub reason: Option<String>,
}

/// Everything decided for one inquiry before anything is written.
pub struct Plan {
    pub inquiry_id: i64,
    /// Same sender and message → same hash: how a repeat is known.
    pub content_hash: String,
    pub inquiry: Inquiry,
    pub moderation: Moderation,
    pub matched: Match,
    pub intent: IntentDecision,
    pub score: Score,
    pub route: RouteDecision,
    /// The moderation and the intent a person decided, already stored as
    /// their decisions: they stand and are not written again.
    pub moderated_by_hand: bool,
    pub intent_by_hand: bool,
    /// The earlier inquiry this one repeats word for word, whose open work
    /// it joins instead of making its own.
    pub repeat: Option<Repeat>,
    /// The person's other leads still being worked (open work, or a deal
    /// open): their holders are told of the new inquiry, and its routing
    /// names them.
    pub other_leads: Vec<OtherLead>,
}

/// A lead of the same person still being worked.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherLead {
    pub lead_id: i64,
    pub stage: String,
    /// Its open work item, its queue (slug and id) and holder, when it has one.
    pub work: Option<(i64, String, i64, Option<i64>)>,
}

/// An inquiry sent again by the same sender, word for word, within the
/// repeat window, while the first is still being worked on.
#[derive(Debug, Clone, PartialEq)]
pub enum Repeat {
    /// Of a stored inquiry whose work item is still open.
    Open(OpenWork),
    /// Of an earlier member of the same batch: it joins that member's work
    /// if the member is routed.
    InBatch(i64),
}

/// The open work item of an earlier inquiry.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenWork {
    pub inquiry_id: i64,
    pub work_item_id: i64,
    pub lead_id: Option<i64>,
    pub queue: String,
    pub queue_id: i64,
    pub assignee_id: Option<i64>,
}

/// The open work of each of `inquiries` that has some: the newest item of
/// one with several.
pub(super) async fn open_work_of(
    connection: &mut sqlx::AnyConnection,
    inquiries: &[i64],
) -> Result<HashMap<i64, OpenWork>> {
    let rows: Vec<(i64, i64, Option<i64>, String, i64, Option<i64>)> = select_in_on(
        connection,
        "SELECT w.inquiry_id, w.id, w.lead_id, q.slug, q.id, w.assignee_id
         FROM work_items w JOIN queues q ON q.id = w.queue_id
         WHERE w.status IN ('unassigned', 'assigned', 'accepted') AND w.inquiry_id IN",
        &[],
        inquiries,
    )
    .await?;
    let mut open: HashMap<i64, OpenWork> = HashMap::new();
    for (inquiry_id, work_item_id, lead_id, queue, queue_id, assignee_id) in rows {
        if open
            .get(&inquiry_id)
            .is_none_or(|seen| seen.work_item_id < work_item_id)
        {
            let work = OpenWork {
                inquiry_id,
                work_item_id,
                lead_id,
                queue,
                queue_id,
                assignee_id,
            };
            open.insert(inquiry_id, work);
        }
    }
    Ok(open)
}

/// An inquiry with the same content (earlier, or later for one processed
/// again): its id, when it arrived, and its open work (none for a batch
/// member not stored yet).
struct Earlier {
    id: i64,
    received_at: i64,
    open_work: Option<OpenWork>,
    in_batch: bool,
}

/// A batch member, decided or failed.
pub enum Prepared {
    Ready(Box<Plan>),
    Failed { inquiry_id: i64, error: String },
}

impl Prepared {
    /// The id of the inquiry, to be set once it is stored.
    pub fn inquiry_id(&self) -> i64 {
        match self {
            Prepared::Ready(plan) => plan.inquiry_id,
            Prepared::Failed { inquiry_id, .. } => *inquiry_id,
        }
    }

    pub fn inquiry_id_mut(&mut self) -> &mut i64 {
        match self {
            Prepared::Ready(plan) => &mut plan.inquiry_id,
            Prepared::Failed { inquiry_id, .. } => inquiry_id,
        }
    }

    /// The id of the earlier batch member this one repeats, to be set once
    /// that member is stored.
    pub fn repeated_member_mut(&mut self) -> Option<&mut i64> {
        match self {
            Prepared::Ready(plan) => match &mut plan.repeat {
                Some(Repeat::InBatch(id)) => Some(id),
                _ => None,
            },
            Prepared::Failed { .. } => None,
        }
    }
}

/// What the batch's lookups found, keyed by the value looked up.
#[derive(Default)]
struct Found {
    /// content hash → the inquiries with that hash, within the window.
    same_content: HashMap<String, Vec<Earlier>>,
    /// Inquiries a moderator released from quarantine, with the release reasons.
    released: HashMap<i64, Moderation>,
    /// Inquiries whose intent a person corrected, with the latest correction.
    corrected: HashMap<i64, IntentDecision>,
    /// e-mail → (contact, account).
    by_email: HashMap<String, (i64, Option<i64>)>,
    /// phone → (contact, account), the oldest contact first.
    by_phone: HashMap<String, (i64, Option<i64>)>,
    /// domain → account.
    by_domain: HashMap<String, i64>,
    /// normalised company name → account.
    by_company: HashMap<String, i64>,
    /// account → (name, status, tier).
    accounts: HashMap<i64, (String, String, String)>,
    /// contact → their leads still being worked.
    other_leads: HashMap<i64, Vec<OtherLead>>,
}

/// Calls `decide` with the row `inquiry` gives `task`'s model.
fn with_row<T>(
    task: Task,
    inquiry: &Inquiry,
    known: &Known,
    decide: impl FnOnce(&[&str]) -> T,
) -> T {
    let values = row(task, inquiry, known);
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    decide(&values)
}

/// A contact's lead still being worked: contact, lead, stage, and its open
/// work item with its queue (slug, id) and holder.
type OtherLeadRow = (
    i64,
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

/// How far back the same message from the same sender counts as a repeat:
/// a day, as moderation's reason says.
pub(super) const REPEAT_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// Runs `SELECT … WHERE column IN (…)` over `keys` in chunks and returns the
/// rows. `bounds` are bound first, as `$1`, `$2`… of `select`.
pub(super) async fn select_in<O, K>(
    db: &Db,
    select: &str,
    bounds: &[i64],
    keys: &[K],
) -> Result<Vec<O>>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    K: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Clone + Send + Sync + 'static,
{
    select_in_on(&mut *db.reader().acquire().await?, select, bounds, keys).await
}

/// [`select_in`] on one connection, such as a write transaction's.
pub(super) async fn select_in_on<O, K>(
    connection: &mut sqlx::AnyConnection,
    select: &str,
    bounds: &[i64],
    keys: &[K],
) -> Result<Vec<O>>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    K: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Clone + Send + Sync + 'static,
{
    let mut rows = Vec::new();
    for chunk in keys.chunks(CHUNK) {
        let sql = format!("{select} ({})", placeholders(bounds.len() + 1, chunk.len()));
        let mut query = sqlx::query_as::<_, O>(&sql);
        for bound in bounds {
            query = query.bind(*bound);
        }
        for key in chunk {
            query = query.bind(key.clone());
        }
        rows.extend(query.fetch_all(&mut *connection).await?);
    }
    Ok(rows)
}

impl Db {
    pub(super) async fn processing_context(&self) -> Result<Context> {
        let (organisation, rules, models) = tokio::try_join!(
            self.organisation(),
            rules_in(self.reader()),
            self.active_models()
        )?;
        let hours = organisation.hours()?;
        Ok(Context {
            moderation: organisation.moderation,
            scoring: organisation.scoring,
            rules,
            hours,
            models,
        })
    }

    /// Decodes, looks up and decides a batch, without writing; returns the
    /// settings it was decided with beside the decisions.
    pub(super) async fn prepare(&self, pending: Vec<Pending>) -> Result<(Context, Vec<Prepared>)> {
        let mut parsed = Vec::with_capacity(pending.len());
        let mut prepared = Vec::with_capacity(pending.len());
        // No query unless the batch holds hosted-form or e-mail inquiries.
        let (forms, staff) = tokio::try_join!(
            form_attributions_in(self.reader(), pending.iter().map(|p| &p.origin)),
            self.staff_for(pending.iter().map(|p| p.channel))
        )?;
        for p in pending {
            match read(p.channel, &p.raw, forms.get(&p.origin), &staff) {
                Ok((inquiry, honeypot)) => parsed.push((p, inquiry, honeypot)),
                Err(error) => prepared.push(Prepared::Failed {
                    inquiry_id: p.id,
                    error,
                }),
            }
        }
        // The settings and the lookups are independent: one round trip, not two.
        let (settings, mut found) =
            tokio::try_join!(self.processing_context(), self.look_up(&parsed))?;
        let context = &settings;
        // Earlier members of the batch count as repeats too, whether or not
        // they are stored yet.
        for (p, _, _) in &parsed {
            let earlier = found
                .same_content
                .entry(p.content_hash.clone())
                .or_default();
            // Stored before deciding (answered once stored), it is found too.
            match earlier.iter_mut().find(|e| e.id == p.id) {
                Some(stored) => stored.in_batch = true,
                None => earlier.push(Earlier {
                    id: p.id,
                    received_at: p.received_at,
                    open_work: None,
                    in_batch: true,
                }),
            }
        }
        prepared.extend(
            decide_all(parsed, &found, context)
                .into_iter()
                .map(|plan| Prepared::Ready(Box::new(plan))),
        );
        Ok((settings, prepared))
    }

    /// One query per kind of lookup for the whole batch.
    async fn look_up(&self, parsed: &[(Pending, Inquiry, bool)]) -> Result<Found> {
        let distinct = |values: Vec<String>| -> Vec<String> {
            values
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        let hashes = distinct(
            parsed
                .iter()
                .map(|(p, _, _)| p.content_hash.clone())
                .collect(),
        );
        let emails = distinct(
            parsed
                .iter()
                .filter_map(|(_, i, _)| i.email.as_ref().map(|e| e.to_string()))
                .collect(),
        );
        let phones = distinct(
            parsed
                .iter()
                .filter(|(_, i, _)| i.email.is_none())
                .filter_map(|(_, i, _)| i.phone.as_ref().map(|p| p.as_str().to_string()))
                .collect(),
        );
        let domains = distinct(
            parsed
                .iter()
                .filter_map(|(_, i, _)| i.company_domain().map(String::from))
                .collect(),
        );
        let companies = distinct(
            parsed
                .iter()
                .filter_map(|(_, i, _)| {
                    i.company.as_deref().map(crate::accounts::normalise_company)
                })
                .collect(),
        );

        let ids: Vec<i64> = parsed.iter().map(|(p, _, _)| p.id).collect();
        // Only repeats within the window count, so only those are read: a
        // message sent thousands of times must not be read back each time.
        let earliest = parsed.iter().map(|(p, _, _)| p.received_at).min();
        let repeats_since = [earliest.unwrap_or_default() - REPEAT_WINDOW_MS];
        // The lookups are independent: run them side by side on the read pool.
        let (released, corrected, same_content, by_email, by_phone, by_domain, by_company) = tokio::try_join!(
            select_in::<(i64, Option<f64>, String, String), _>(
                self,
                "SELECT inquiry_id, score, reasons, version FROM decisions
                 WHERE kind = 'moderation' AND value = 'ham' AND actor_id IS NOT NULL AND inquiry_id IN",
                &[],
                &ids,
            ),
            select_in::<(i64, i64, String, Option<f64>, String, String), _>(
                self,
                "SELECT inquiry_id, id, value, score, reasons, version FROM decisions
                 WHERE kind = 'intent' AND actor_id IS NOT NULL AND inquiry_id IN",
                &[],
                &ids,
            ),
            select_in::<(String, i64, i64, Option<i64>), _>(
                self,
                "SELECT content_hash, id, received_at, repeat_of FROM inquiries
                 WHERE received_at > $1 AND content_hash IN",
                &repeats_since,
                &hashes,
            ),
            select_in::<(String, i64, Option<i64>), _>(
                self,
                "SELECT email_lower, id, account_id FROM contacts WHERE email_lower IN",
                &[],
                &emails,
            ),
            select_in::<(String, i64, Option<i64>), _>(
                self,
                "SELECT phone, id, account_id FROM contacts WHERE phone IN",
                &[],
                &phones,
            ),
            select_in::<(String, i64), _>(
                self,
                "SELECT domain, account_id FROM account_domains WHERE domain IN",
                &[],
                &domains,
            ),
            select_in::<(String, i64), _>(
                self,
                "SELECT name_norm, id FROM accounts WHERE name_norm IN",
                &[],
                &companies,
            ),
        )?;
        let mut found = Found::default();
        for (id, score, reasons, version) in released {
            let release = Moderation {
                verdict: Verdict::Ham,
                score: score.unwrap_or_default(),
                reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                version,
            };
            found.released.insert(id, release);
        }
        // The latest correction of each inquiry stands.
        let mut latest: HashMap<i64, i64> = HashMap::new();
        for (inquiry, id, value, score, reasons, version) in corrected {
            let Ok(value) = value.parse::<Intent>() else {
                continue;
            };
            if latest.get(&inquiry).is_some_and(|seen| *seen > id) {
                continue;
            }
            latest.insert(inquiry, id);
            let correction = IntentDecision {
                value,
                confidence: score.unwrap_or(1.0),
                reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                version,
            };
            found.corrected.insert(inquiry, correction);
        }
        // The open work of earlier inquiries, read only when there are any
        // besides the batch itself (answered once stored, it is found too):
        // a repeat's work is the work of the inquiry it joined.
        let batch: HashSet<i64> = ids.iter().copied().collect();
        let firsts: Vec<i64> = same_content
            .iter()
            .filter(|(_, id, _, _)| !batch.contains(id))
            .map(|(_, id, _, repeat_of)| repeat_of.unwrap_or(*id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let open = match firsts.is_empty() {
            true => HashMap::new(),
            false => open_work_of(&mut *self.reader().acquire().await?, &firsts).await?,
        };
        for (hash, id, received_at, repeat_of) in same_content {
            found.same_content.entry(hash).or_default().push(Earlier {
                id,
                received_at,
                open_work: open.get(&repeat_of.unwrap_or(id)).cloned(),
                in_batch: false,
            });
        }
        found.by_email = by_email.into_iter().map(|(e, c, a)| (e, (c, a))).collect();
        for (phone, contact, account) in by_phone {
            let slot = found.by_phone.entry(phone).or_insert((contact, account));
            if contact < slot.0 {
                *slot = (contact, account);
            }
        }
        found.by_domain = by_domain.into_iter().collect();
        for (name, id) in by_company {
            let slot = found.by_company.entry(name).or_insert(id);
            *slot = (*slot).min(id);
        }
        let account_ids: Vec<i64> = found
            .by_email
            .values()
            .chain(found.by_phone.values())
            .filter_map(|(_, a)| *a)
            .chain(found.by_domain.values().copied())
            .chain(found.by_company.values().copied())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let contact_ids: Vec<i64> = found
            .by_email
            .values()
            .chain(found.by_phone.values())
            .map(|(c, _)| *c)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (rows, worked) = tokio::try_join!(
            select_in::<(i64, String, String, String), _>(
                self,
                "SELECT id, name, status, tier FROM accounts WHERE id IN",
                &[],
                &account_ids,
            ),
            // Leads with open work, or at the opportunity stage (a deal open).
            select_in::<OtherLeadRow, _>(
                self,
                "SELECT l.contact_id, l.id, l.stage, w.id, q.slug, q.id, w.assignee_id
                 FROM leads l
                 LEFT JOIN work_items w ON w.lead_id = l.id
                      AND w.status IN ('unassigned', 'assigned', 'accepted')
                 LEFT JOIN queues q ON q.id = w.queue_id
                 WHERE (w.id IS NOT NULL OR l.stage = 'opportunity') AND l.contact_id IN",
                &[],
                &contact_ids,
            ),
        )?;
        for (contact, lead_id, stage, work_item, queue, queue_id, holder) in worked {
            let work = match (work_item, queue, queue_id) {
                (Some(item), Some(queue), Some(queue_id)) => Some((item, queue, queue_id, holder)),
                _ => None,
            };
            found
                .other_leads
                .entry(contact)
                .or_default()
                .push(OtherLead {
                    lead_id,
                    stage,
                    work,
                });
        }
        found.accounts = rows
            .into_iter()
            .map(|(id, name, status, tier)| (id, (name, status, tier)))
            .collect();
        Ok(found)
    }
}

impl Found {
    /// The contact by e-mail, else phone; the account by the contact, else
    /// the e-mail domain, else the normalised company name.
    fn matched(&self, inquiry: &Inquiry) -> Match {
        let mut found = Match::default();
        let contact = match (&inquiry.email, &inquiry.phone) {
            (Some(email), _) => self.by_email.get(email.as_str()),
            (None, Some(phone)) => self.by_phone.get(phone.as_str()),
            (None, None) => None,
        };
        if let Some((contact_id, account_id)) = contact {
            found.contact_id = Some(*contact_id);
            found.account_id = *account_id;
            found.reason = Some("known contact".into());
        }
        if found.account_id.is_none()
            && let Some(domain) = inquiry.company_domain()
            && let Some(id) = self.by_domain.get(domain)
        {
            found.account_id = Some(*id);
            found.reason = Some(format!("e-mail domain {domain}"));
        }
        // A company name is anyone's to type: it is trusted beside an
        // address at a company's own domain, not a free or throwaway one,
        // which would let anyone pass for a customer.
        if found.account_id.is_none()
            && inquiry.company_domain().is_some()
            && let Some(company) = &inquiry.company
            && let Some(id) = self
                .by_company
                .get(&crate::accounts::normalise_company(company))
        {
            found.account_id = Some(*id);
            found.reason = Some(format!("company name {company}"));
        }
        if let Some((name, status, tier)) = found.account_id.and_then(|id| self.accounts.get(&id)) {
            found.account = Some(MatchedAccount {
                name: name.clone(),
                status: status.parse().unwrap_or(AccountStatus::Suspect),
            });
            found.tier = tier.parse().ok();
        }
        found
    }
}

/// Inquiries at least this many are decided on two threads, half each.
const SPLIT_FROM: usize = 16;

/// Decides each parsed inquiry, in order. Each decision reads only the
/// batch's lookups and settings, and the models make it CPU work, so a
/// large batch is split between this thread and another.
fn decide_all(
    parsed: Vec<(Pending, Inquiry, bool)>,
    found: &Found,
    context: &Context,
) -> Vec<Plan> {
    let decide = |batch: Vec<(Pending, Inquiry, bool)>| -> Vec<Plan> {
        batch
            .into_iter()
            .map(|(p, inquiry, honeypot_filled)| {
                decide_one(p, inquiry, honeypot_filled, found, context)
            })
            .collect()
    };
    if parsed.len() < SPLIT_FROM {
        return decide(parsed);
    }
    let mut first = parsed;
    let second = first.split_off(first.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| decide(second));
        let mut plans = decide(first);
        plans.extend(other.join().expect("the second half was decided"));
        plans
    })
}

/// Decides one inquiry from the batch's lookups and settings.
fn decide_one(
    p: Pending,
    inquiry: Inquiry,
    honeypot_filled: bool,
    found: &Found,
    context: &Context,
) -> Plan {
    let day_before = p.received_at - REPEAT_WINDOW_MS;
    // The others with the same content in the window: later ones too when
    // this one is processed again (released from quarantine).
    let others: Vec<&Earlier> = found
        .same_content
        .get(&p.content_hash)
        .map(|all| {
            all.iter()
                .filter(|e| e.id != p.id && e.received_at > day_before)
                .collect()
        })
        .unwrap_or_default();
    let recent_duplicates = others.iter().filter(|e| e.id < p.id).count() as u32;
    let signals = Signals {
        honeypot_filled,
        recent_duplicates,
    };
    let mut known = Known {
        channel: p.channel,
        honeypot_filled,
        intent: None,
    };
    let models = &context.models;
    // A moderator's release stands: neither rules nor model are asked again.
    let moderation = match found.released.get(&p.id) {
        Some(release) => release.clone(),
        None => {
            let rules = moderate(&inquiry, signals, &context.moderation);
            match &models.spam {
                Some(spam) => with_row(Task::Spam, &inquiry, &known, |row| {
                    moderate_with(rules, spam, row)
                }),
                None => rules,
            }
        }
    };
    let matched = found.matched(&inquiry);
    let rules_intent = classify(&inquiry, matched.account.as_ref());
    // A person's correction stands; with no message the model would only
    // echo what most inquiries want.
    let corrected = found.corrected.get(&p.id);
    let (intent, intent_uncertain) = match (corrected, &models.intent) {
        (Some(correction), _) => (correction.clone(), false),
        (None, Some(model)) if !inquiry.message.trim().is_empty() => {
            with_row(Task::Intent, &inquiry, &known, |row| {
                classify_with(rules_intent, model, row)
            })
        }
        _ => (rules_intent, false),
    };
    known.intent = Some(intent.value);
    let points = score(&inquiry, intent.value, &context.scoring);
    let score = match &models.conversion {
        Some(model) => with_row(Task::Conversion, &inquiry, &known, |row| {
            score_with(points, model, row)
        }),
        None => points,
    };
    let facts = RoutingFacts {
        quarantined: moderation.verdict == Verdict::Spam,
        intent: intent.value,
        intent_uncertain,
        grade: score.grade,
        source: inquiry.source.clone(),
        account_status: matched.account.as_ref().map(|a| a.status),
        account_tier: matched.tier,
    };
    let mut route = route(&facts, &context.rules);
    let repeat = if moderation.verdict == Verdict::Ham {
        repeat_of(&others, p.id)
    } else {
        None
    };
    // A new message from someone whose earlier lead is still being worked
    // makes a lead of its own, and both sides are told: its routing names
    // the other leads, and their holders get a line in their history.
    let other_leads = match (matched.contact_id, &repeat, &route.queue) {
        (Some(contact), None, Some(_)) => {
            found.other_leads.get(&contact).cloned().unwrap_or_default()
        }
        _ => Vec::new(),
    };
    for other in &other_leads {
        let whereabouts = match &other.work {
            Some((_, queue, _, _)) => format!("{}, its work in {queue}", other.stage),
            None => other.stage.clone(),
        };
        route.reasons.push(Reason::new(
            "other_open_lead",
            0.0,
            format!(
                "the person already has lead {} ({whereabouts}); its holder is told of this inquiry",
                other.lead_id
            ),
        ));
    }
    Plan {
        inquiry_id: p.id,
        content_hash: p.content_hash,
        inquiry,
        moderation,
        matched,
        intent,
        score,
        route,
        moderated_by_hand: found.released.contains_key(&p.id),
        intent_by_hand: corrected.is_some(),
        repeat,
        other_leads,
    }
}

/// The inquiry a ham inquiry `id` repeats: a stored one with the same
/// content whose work is open (a later one too, for an inquiry released
/// after its message came again), else the latest earlier member of its
/// batch.
fn repeat_of(others: &[&Earlier], id: i64) -> Option<Repeat> {
    let open = others
        .iter()
        .filter_map(|e| e.open_work.as_ref())
        .filter(|w| w.inquiry_id != id)
        .max_by_key(|w| w.inquiry_id);
    match open {
        Some(work) => Some(Repeat::Open(work.clone())),
        None => others
            .iter()
            .filter(|e| e.in_batch && e.id < id)
            .map(|e| e.id)
            .max()
            .map(Repeat::InBatch),
    }
}
