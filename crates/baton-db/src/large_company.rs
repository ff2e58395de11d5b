//! A large company, generated straight into the tables, for measuring the
//! reports at scale.
//!
//! [`generate`] fills an empty database with years of history (one
//! million leads, five million activities, 200,000 opportunities and forty
//! quarters of forecasts by default): regional offices with a team per
//! function and a manager each, accounts with contacts, a campaign per
//! marketer per quarter, leads with their stage history, opportunities won,
//! lost and open, the work items of the leads handed to sales with their
//! assignment history (accepted, rejected or still open, answered on time
//! or late), the activities of every role (some of it other functions'
//! work), revenue and lead forecasts in several versions, and a year of
//! call sheets.
//!
//! Unlike the demo ([`crate::demo`]), nothing goes through intake: rows are
//! written with multi-row inserts, many thousands per transaction, which
//! is what makes millions of rows take minutes. The same seed, counts and
//! `today` give the same data on either backend. Every user signs in with
//! the demo password ([`crate::demo::DEMO_PASSWORD`]).

use crate::call_sheets::monday_of;
use crate::connect::{Backend, Db};
use crate::demo::{
    CITIES, CURRENCY, Clock, DAY, DEMO_PASSWORD, FIRST_NAMES, HOUR, INDUSTRIES, LAST_NAMES, MINUTE,
    Rng, TIME_ZONE, count_rows, everyday_work, hundreds_of_dollars, outcome,
};
use crate::error::{DbError, Result};
use crate::queues::Queue;
use crate::settings::keys;
use crate::sql::{Value, allocate_ids, insert_rows};
use baton_core::calendar::Quarter;
use baton_core::domain::{
    AccountStatus, Channel, ForecastCategory, ForecastKind, Function, Grade, InquiryStatus, Intent,
    OpportunityStage, Role, SheetPeriod, Stage, Tier,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Domain of the large company's users' e-mail addresses.
pub const LARGE_DOMAIN: &str = "large.baton.example";

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LargeOptions {
    /// The same seed, counts and `today` give the same data.
    pub seed: u64,
    pub leads: u64,
    pub activities: u64,
    pub opportunities: u64,
    /// Quarters of history, the one holding `today` last.
    pub quarters: u32,
    /// "Now", UTC milliseconds: the history ends here.
    pub today: i64,
}

impl Default for LargeOptions {
    fn default() -> Self {
        LargeOptions {
            seed: 1,
            leads: 1_000_000,
            activities: 5_000_000,
            opportunities: 200_000,
            quarters: 40,
            today: crate::demo::start_of_today(),
        }
    }
}

/// Rows of each kind written: each field counts the table of the same name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LargeSummary {
    pub users: u64,
    pub teams: u64,
    pub accounts: u64,
    pub contacts: u64,
    pub campaigns: u64,
    pub leads: u64,
    pub lead_stage_history: u64,
    pub work_items: u64,
    pub assignment_history: u64,
    pub opportunities: u64,
    pub activities: u64,
    pub forecasts: u64,
    pub forecast_lines: u64,
    pub call_sheets: u64,
    pub call_sheet_lines: u64,
}

/// Most quarters of history: 50 years.
pub const MAX_QUARTERS: u32 = 200;

/// Rows written per transaction; each step of the progress bar.
const ROWS_PER_TRANSACTION: u64 = 20_000;

/// Fills an empty database with the large company; see the module
/// documentation. `progress(step, done, total)` is called as each step
/// advances. A database that already holds records is refused, untouched.
pub async fn generate(
    db: &Db,
    options: &LargeOptions,
    progress: &dyn Fn(&str, u64, u64),
) -> Result<LargeSummary> {
    if let Some(held) = db.first_kind_held().await? {
        return Err(DbError::conflict(
            "database",
            format!("it already holds {held}; generated data goes into a new database"),
        ));
    }
    if options.leads == 0 {
        return Err(DbError::invalid("leads", "at least one lead is needed"));
    }
    if !(1..=MAX_QUARTERS).contains(&options.quarters) {
        return Err(DbError::invalid(
            "quarters",
            format!("must be between 1 and {MAX_QUARTERS}"),
        ));
    }
    let timeline = Timeline::new(options.today, options.quarters)?;
    db.ensure_defaults().await?;
    // Marked until the last row is in, so that an interrupted run is told
    // apart from a company that is complete.
    db.put_setting(keys::GENERATING, &true).await?;
    db.put_setting(keys::TIME_ZONE, &TIME_ZONE).await?;
    db.put_setting(keys::CURRENCY, &CURRENCY).await?;

    let mut company = Company {
        db,
        backend: db.backend(),
        seed: options.seed,
        timeline,
        people: Vec::new(),
        accounts: Vec::new(),
        campaigns: Vec::new(),
        leads: Vec::with_capacity(options.leads as usize),
        lead_facts: BTreeMap::new(),
        deals: Vec::with_capacity(options.opportunities as usize),
        deals_by_owner: BTreeMap::new(),
    };
    company.hire(options.leads, progress).await?;
    company
        .open_accounts(options.opportunities, progress)
        .await?;
    company.launch_campaigns().await?;
    company
        .bring_leads(options.leads, options.opportunities, progress)
        .await?;
    company.store_deals(progress).await?;
    company.log_activities(options.activities, progress).await?;
    company.submit_forecasts(progress).await?;
    company.make_call_sheets(progress).await?;
    db.put_setting(keys::GENERATING, &false).await?;
    summarise(db).await
}

/// Stream tags: one independent stream of randomness per purpose.
const TAG_PEOPLE: u64 = 101;
const TAG_ACCOUNT: u64 = 102;
const TAG_LEAD: u64 = 103;
const TAG_OUTBOUND: u64 = 104;
const TAG_ACTIVITY: u64 = 105;
const TAG_FORECAST: u64 = 106;
const TAG_CALL_SHEET: u64 = 107;
const TAG_WORK: u64 = 108;

/// The company's history: its quarters, oldest first, and where events
/// fall in it.
struct Timeline {
    clock: Clock,
    quarters: Vec<Quarter>,
    /// The first moment of each quarter, and of the one after the last.
    bounds: Vec<i64>,
}

impl Timeline {
    fn new(today: i64, count: u32) -> Result<Timeline> {
        let clock = Clock::new(today)?;
        let mut quarter = Quarter::containing(clock.date(today));
        let mut quarters = vec![quarter];
        for _ in 1..count {
            quarter = quarter.previous();
            quarters.push(quarter);
        }
        quarters.reverse();
        let mut bounds: Vec<i64> = quarters.iter().map(|q| clock.span(*q).0).collect();
        bounds.push(clock.span(quarters[quarters.len() - 1]).1);
        Ok(Timeline {
            clock,
            quarters,
            bounds,
        })
    }

    fn start(&self) -> i64 {
        self.bounds[0]
    }

    fn today(&self) -> i64 {
        self.clock.today
    }

    /// When the `index`th of `count` events happened. Events are spread
    /// over the history in order, twice as dense at its end as at its
    /// start: the business grows.
    fn moment(&self, index: u64, count: u64) -> i64 {
        let share = (index as f64 + 0.5) / count as f64;
        let elapsed = (1.0 + 3.0 * share).sqrt() - 1.0;
        self.start() + (elapsed * (self.today() - self.start()) as f64) as i64
    }

    /// How many of `count` events spread by [`Timeline::moment`] happened
    /// before `at`.
    fn events_before(&self, at: i64, count: u64) -> u64 {
        let elapsed =
            ((at - self.start()) as f64 / (self.today() - self.start()) as f64).clamp(0.0, 1.0);
        let share = ((elapsed + 1.0).powi(2) - 1.0) / 3.0;
        ((share * count as f64) as u64).min(count)
    }

    /// The index of the quarter holding `at`.
    fn quarter_of(&self, at: i64) -> usize {
        self.bounds[1..]
            .partition_point(|end| *end <= at)
            .min(self.quarters.len() - 1)
    }
}

/// Regional offices; each has a team per function.
const OFFICES: &[&str] = &["Central", "East", "West", "North", "South"];

/// (team name after the office, the role of its members).
const DEPARTMENTS: &[(&str, Role)] = &[
    ("marketing", Role::Marketer),
    ("qualification", Role::Qualifier),
    ("new business", Role::Hunter),
    ("account management", Role::Farmer),
    ("customer service", Role::Service),
    ("finance and operations", Role::Operations),
];

/// One person and how they work, which shapes the data behind them.
struct Person {
    id: i64,
    name: String,
    role: Role,
    office: usize,
    /// Share of their closed deals they win.
    win_rate: f64,
    /// Activities they log compared with their peers.
    busyness: f64,
    /// Forecast over what they expect: above 1 is smoke.
    forecast_bias: f64,
    /// Share of their activities that belong to another function.
    stray: f64,
    /// Share of their call-sheet lines they get done.
    completion: f64,
    /// Share of the leads handed to them they answer within the
    /// first-touch SLA.
    prompt: f64,
}

struct Account {
    id: i64,
    name: String,
    office: usize,
    customer: bool,
    owner: i64,
    contacts: [i64; 2],
}

struct Campaign {
    id: i64,
    name: String,
    channel: &'static str,
    /// Index into the people: the marketer who runs it.
    marketer: usize,
}

/// What activities and call sheets need to know of a lead.
struct LeadRef {
    id: i64,
    account: Option<usize>,
    contact: Option<i64>,
}

/// Where leads came from: a campaign (index) or, without one, a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    Campaign(usize),
    Source(&'static str),
}

struct Deal {
    /// Known once stored.
    id: i64,
    owner: i64,
    account: Option<usize>,
    contact: Option<i64>,
    lead: Option<i64>,
    product: &'static str,
    amount: i64,
    currency: &'static str,
    created: i64,
    /// When it closed, or is expected to close.
    closes: i64,
    /// `None` while open.
    won: Option<bool>,
}

struct Company<'a> {
    db: &'a Db,
    backend: Backend,
    seed: u64,
    timeline: Timeline,
    people: Vec<Person>,
    accounts: Vec<Account>,
    /// By quarter index.
    campaigns: Vec<Vec<Campaign>>,
    leads: Vec<LeadRef>,
    /// (quarter index, origin) → (leads, leads that reached MQL).
    lead_facts: BTreeMap<(usize, Origin), (i64, i64)>,
    deals: Vec<Deal>,
    /// Owner → indexes into `deals`, by creation.
    deals_by_owner: BTreeMap<i64, Vec<usize>>,
}

/// Lead sources besides campaigns, which lead forecasts name as channels.
const SOURCES: &[&str] = &["website", "referral", "partner", "events", "paid_search"];

/// (channel, label) of campaigns.
const CAMPAIGN_CHANNELS: &[(&str, &str)] = &[
    ("webinar", "Webinar"),
    ("trade_show", "Trade show"),
    ("paid_search", "Paid search"),
    ("email", "E-mail"),
    ("content", "Guide"),
];

const THEMES: &[&str] = &[
    "Predictive maintenance",
    "Asset tracking",
    "Downtime costs",
    "Mobile work orders",
    "Sensor retrofits",
    "Audit readiness",
];

const PRODUCTS: &[&str] = &[
    "Maintenance suite",
    "Asset tracking",
    "Sensor kit",
    "Mobile app seats",
];

const TITLES: &[&str] = &[
    "Maintenance Manager",
    "VP of Operations",
    "Facilities Manager",
    "Controller",
    "IT Manager",
    "Plant Director",
];

/// The value a marketer puts on an MQL: $1,500, in cents.
const VALUE_PER_MQL: i64 = 150_000;

/// How much work each role logs, relative to the others.
fn activity_weight(role: Role) -> f64 {
    match role {
        Role::Hunter => 6.0,
        Role::Qualifier | Role::Farmer => 5.0,
        Role::Service => 4.0,
        Role::Marketer | Role::Operations => 3.0,
        Role::Manager | Role::Owner => 1.0,
    }
}

/// Roles that do another function's work now and then.
const FUNCTION_ROLES: &[Role] = &[
    Role::Marketer,
    Role::Qualifier,
    Role::Hunter,
    Role::Farmer,
    Role::Service,
    Role::Operations,
];

fn grade_for(score: i64) -> Grade {
    match score {
        80.. => Grade::A,
        60..=79 => Grade::B,
        40..=59 => Grade::C,
        _ => Grade::D,
    }
}

fn name_of(rng: &mut Rng) -> (&'static str, &'static str) {
    (rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES))
}

/// Lowercase letters and digits of `text`, for addresses.
fn mailbox(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Company<'_> {
    fn with_role(&self, role: Role, office: usize) -> Vec<usize> {
        let mut found: Vec<usize> = (0..self.people.len())
            .filter(|p| self.people[*p].role == role && self.people[*p].office == office)
            .collect();
        if found.is_empty() {
            found = (0..self.people.len())
                .filter(|p| self.people[*p].role == role)
                .collect();
        }
        found
    }

    fn person(&self, id: i64) -> &Person {
        let index = self.people.partition_point(|p| p.id < id);
        &self.people[index]
    }

    /// The owner, a manager per team and its members: more offices and
    /// bigger teams for more leads, up to five offices of nine.
    async fn hire(&mut self, leads: u64, progress: &dyn Fn(&str, u64, u64)) -> Result<()> {
        let offices = (leads / 200_000).clamp(1, OFFICES.len() as u64) as usize;
        let members = (leads / 20_000).clamp(1, 9) as usize;
        let teams = offices * DEPARTMENTS.len();
        let headcount = 1 + teams * (1 + members);
        let mut tx = self.db.begin_write().await?;
        let team_ids = allocate_ids(&mut tx, self.backend, "teams", teams).await?;
        let founded = self.timeline.start() - 400 * DAY;
        let mut team_rows = Vec::with_capacity(teams);
        for office in &OFFICES[..offices] {
            for (department, role) in DEPARTMENTS {
                let name = format!("{office} {department}");
                let function = role.function().map_or("", |f| f.as_str());
                team_rows.push(vec![
                    team_ids[team_rows.len()].into(),
                    name.to_lowercase().into(),
                    name.into(),
                    function.into(),
                    founded.into(),
                ]);
            }
        }
        insert_rows::<(i64,)>(
            &mut tx,
            "INSERT INTO teams (id, name_lower, name, function, created_at)",
            "",
            &team_rows,
        )
        .await?;
        let ids = allocate_ids(&mut tx, self.backend, "users", headcount).await?;
        let password = baton_core::auth::hash_password(DEMO_PASSWORD);
        let mut counters: BTreeMap<Role, usize> = BTreeMap::new();
        let mut user_rows = Vec::with_capacity(headcount);
        // (role, team index, manager's position in `ids`), the owner first
        // and each manager before their team.
        let mut plan = vec![(Role::Owner, None, None)];
        for team in 0..teams {
            let manager = plan.len();
            plan.push((Role::Manager, Some(team), Some(0)));
            let role = DEPARTMENTS[team % DEPARTMENTS.len()].1;
            plan.extend((0..members).map(|_| (role, Some(team), Some(manager))));
        }
        for (n, (role, team, manager)) in plan.into_iter().enumerate() {
            let mut rng = Rng::derive(self.seed, TAG_PEOPLE, n as u64);
            let (first, last) = name_of(&mut rng);
            let number = counters.entry(role).or_default();
            *number += 1;
            let login = if role == Role::Owner {
                "owner".to_string()
            } else {
                format!("{}{number}", role.as_str())
            };
            let email = format!("{login}@{LARGE_DOMAIN}");
            // A few people in every function blow smoke, stray from their
            // job or are busy without results.
            let smoke = rng.chance(0.1);
            let busy = rng.chance(0.06);
            let person = Person {
                id: ids[n],
                name: format!("{first} {last}"),
                role,
                office: team.map_or(0, |t| t / DEPARTMENTS.len()),
                win_rate: if busy { 0.1 } else { 0.25 + 0.35 * rng.unit() },
                busyness: if busy { 2.0 } else { 0.7 + 0.6 * rng.unit() },
                forecast_bias: if smoke {
                    1.3 + 0.3 * rng.unit()
                } else {
                    0.9 + 0.2 * rng.unit()
                },
                stray: if rng.chance(0.1) {
                    0.2 + 0.15 * rng.unit()
                } else {
                    0.02 + 0.06 * rng.unit()
                },
                completion: 0.5 + 0.45 * rng.unit(),
                prompt: if busy { 0.3 } else { 0.55 + 0.4 * rng.unit() },
            };
            user_rows.push(vec![
                person.id.into(),
                email.as_str().into(),
                email.into(),
                person.name.as_str().into(),
                role.as_str().into(),
                team.map(|t| team_ids[t]).into(),
                manager.map(|m| ids[m]).into(),
                password.as_str().into(),
                (founded + n as i64 * DAY).into(),
            ]);
            self.people.push(person);
        }
        insert_rows::<(i64,)>(
            &mut tx,
            "INSERT INTO users (id, email, email_lower, name, role, team_id, manager_id, password_hash,
                 created_at)",
            "",
            &user_rows,
        )
        .await?;
        // Everyone who works for a function is a member of its first queue.
        let queues = self.db.queues().await?;
        let mut member_rows = Vec::new();
        for person in &self.people {
            let queue = person
                .role
                .function()
                .and_then(|f| queues.iter().find(|q| q.function == f));
            if let Some(queue) = queue {
                member_rows.push(vec![
                    queue.id.into(),
                    person.id.into(),
                    (member_rows.len() as i64).into(),
                ]);
            }
        }
        insert_rows::<(i64,)>(
            &mut tx,
            "INSERT INTO queue_members (queue_id, user_id, position)",
            "",
            &member_rows,
        )
        .await?;
        tx.commit().await?;
        progress("people", headcount as u64, headcount as u64);
        Ok(())
    }

    /// An account per ten opportunities, each with two contacts; customers
    /// belong to account managers, the others to new-business reps.
    async fn open_accounts(
        &mut self,
        opportunities: u64,
        progress: &dyn Fn(&str, u64, u64),
    ) -> Result<()> {
        let total = (opportunities / 10).max(20);
        let offices = self.people.iter().map(|p| p.office).max().unwrap_or(0) + 1;
        let farmers: Vec<Vec<usize>> = (0..offices)
            .map(|o| self.with_role(Role::Farmer, o))
            .collect();
        let hunters: Vec<Vec<usize>> = (0..offices)
            .map(|o| self.with_role(Role::Hunter, o))
            .collect();
        let mut done = 0;
        while done < total {
            let count = ROWS_PER_TRANSACTION.min(total - done);
            let mut tx = self.db.begin_write().await?;
            let ids = allocate_ids(&mut tx, self.backend, "accounts", count as usize).await?;
            let contact_ids =
                allocate_ids(&mut tx, self.backend, "contacts", 2 * count as usize).await?;
            let mut account_rows = Vec::with_capacity(count as usize);
            let mut contact_rows = Vec::with_capacity(2 * count as usize);
            for (n, id) in ids.iter().enumerate() {
                let index = done + n as u64;
                let mut rng = Rng::derive(self.seed, TAG_ACCOUNT, index);
                let industry = &INDUSTRIES[rng.below(INDUSTRIES.len() as u64) as usize];
                let name = format!(
                    "{} {}",
                    rng.pick(LAST_NAMES),
                    rng.pick(industry.company_words)
                );
                let (city, area, state) = rng.pick(CITIES);
                let employees = rng.between(20, 400) * rng.between(1, 12);
                let tier = match employees {
                    1000.. => Tier::A,
                    200..=999 => Tier::B,
                    _ => Tier::C,
                };
                let status = rng.weighted(&[
                    (AccountStatus::Customer, 3),
                    (AccountStatus::Prospect, 4),
                    (AccountStatus::Suspect, 3),
                ]);
                let office = index as usize % offices;
                let customer = status == AccountStatus::Customer;
                let owners = if customer {
                    &farmers[office]
                } else {
                    &hunters[office]
                };
                let owner = self.people[rng.pick(owners)].id;
                let created = self.timeline.start() - rng.between(0, 300) * DAY;
                account_rows.push(vec![
                    (*id).into(),
                    name.as_str().into(),
                    crate::accounts::normalise_company(&name).into(),
                    status.as_str().into(),
                    tier.as_str().into(),
                    industry.name.into(),
                    employees.into(),
                    owner.into(),
                    format!("{city}, {state}").into(),
                    created.into(),
                    created.into(),
                ]);
                let domain = format!("{}{index}.example", mailbox(&name));
                let contacts = [contact_ids[2 * n], contact_ids[2 * n + 1]];
                for (k, contact) in contacts.iter().enumerate() {
                    let (first, last) = name_of(&mut rng);
                    // A dot in the first address only: two namesakes at one
                    // company still get two addresses.
                    let email = if k == 0 {
                        format!("{}.{}@{domain}", mailbox(first), mailbox(last))
                    } else {
                        let initial: String = mailbox(first).chars().take(1).collect();
                        format!("{initial}{}@{domain}", mailbox(last))
                    };
                    contact_rows.push(vec![
                        (*contact).into(),
                        (*id).into(),
                        format!("{first} {last}").into(),
                        email.as_str().into(),
                        email.into(),
                        format!("+1 {area} 555 {:04}", rng.below(10_000)).into(),
                        rng.pick(TITLES).into(),
                        i64::from(k == 0).into(),
                        created.into(),
                        created.into(),
                    ]);
                }
                self.accounts.push(Account {
                    id: *id,
                    name,
                    office,
                    customer,
                    owner,
                    contacts,
                });
            }
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO accounts (id, name, name_norm, status, tier, industry, employees, owner_id,
                     location, created_at, updated_at)",
                "",
                &account_rows,
            )
            .await?;
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO contacts (id, account_id, name, email, email_lower, phone, title,
                     decision_maker, created_at, updated_at)",
                "",
                &contact_rows,
            )
            .await?;
            tx.commit().await?;
            done += count;
            progress("accounts", done, total);
        }
        Ok(())
    }

    /// Each marketer runs one campaign a quarter.
    async fn launch_campaigns(&mut self) -> Result<()> {
        let marketers: Vec<usize> = (0..self.people.len())
            .filter(|p| self.people[*p].role == Role::Marketer)
            .collect();
        let count = self.timeline.quarters.len() * marketers.len();
        let mut tx = self.db.begin_write().await?;
        let ids = allocate_ids(&mut tx, self.backend, "campaigns", count).await?;
        let mut rows = Vec::with_capacity(count);
        for (q, quarter) in self.timeline.quarters.iter().enumerate() {
            let mut campaigns = Vec::with_capacity(marketers.len());
            for (m, marketer) in marketers.iter().enumerate() {
                let (channel, label) = CAMPAIGN_CHANNELS[(q + m) % CAMPAIGN_CHANNELS.len()];
                let name = format!(
                    "{quarter} {label} {}: {}",
                    m + 1,
                    THEMES[(q * 7 + m) % THEMES.len()]
                );
                let id = ids[rows.len()];
                let (starts, _) = self.timeline.clock.span(*quarter);
                rows.push(vec![
                    id.into(),
                    name.as_str().into(),
                    name.to_lowercase().into(),
                    channel.into(),
                    (((q + m) % 9 + 1) as i64 * 250_000).into(),
                    CURRENCY.into(),
                    quarter.first_day().to_string().into(),
                    quarter.last_day().to_string().into(),
                    (starts - 20 * DAY).into(),
                ]);
                campaigns.push(Campaign {
                    id,
                    name,
                    channel,
                    marketer: *marketer,
                });
            }
            self.campaigns.push(campaigns);
        }
        insert_rows::<(i64,)>(
            &mut tx,
            "INSERT INTO campaigns (id, name, name_lower, channel, cost_minor, currency, starts_on,
                 ends_on, created_at)",
            "",
            &rows,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new deal that starts at `created` for `owner`, with its outcome
    /// if it has closed by today.
    fn plan_deal(
        &self,
        rng: &mut Rng,
        owner: i64,
        account: Option<usize>,
        lead: Option<i64>,
        created: i64,
    ) -> Deal {
        let product = rng.pick(PRODUCTS);
        // Mostly mid-sized deals, a few large ones.
        let dollars = 4_000.0 * (1.0 + 20.0 * rng.unit().powi(3)) * rng.between(1, 4) as f64;
        let closes = created + rng.between(20, 160) * DAY + rng.between(0, 8) * HOUR;
        let won =
            (closes <= self.timeline.today()).then(|| rng.chance(self.person(owner).win_rate));
        Deal {
            id: 0,
            owner,
            account,
            contact: account.map(|a| self.accounts[a].contacts[0]),
            lead,
            product,
            amount: hundreds_of_dollars(dollars),
            // A few deals are quoted in euros, which revenue leaves out.
            currency: if rng.chance(0.01) { "EUR" } else { CURRENCY },
            created,
            closes,
            won,
        }
    }

    /// Leads with their inquiries, stage history and the work items of those
    /// handed to sales, oldest first. Evenly spaced leads become the inbound
    /// share of the opportunities.
    async fn bring_leads(
        &mut self,
        total: u64,
        opportunities: u64,
        progress: &dyn Fn(&str, u64, u64),
    ) -> Result<()> {
        let inbound = (opportunities * 6 / 10).min(total);
        let converted = |j: u64| (j as u128 * total as u128 / inbound.max(1) as u128) as u64;
        let mut next_conversion = 0;
        let offices = self.people.iter().map(|p| p.office).max().unwrap_or(0) + 1;
        let by_office =
            |role| -> Vec<Vec<usize>> { (0..offices).map(|o| self.with_role(role, o)).collect() };
        let (qualifiers, hunters, marketers) = (
            by_office(Role::Qualifier),
            by_office(Role::Hunter),
            by_office(Role::Marketer),
        );
        let today = self.timeline.today();
        let sales = SalesQueues::load(self.db).await?;
        let mut done = 0;
        while done < total {
            let count = ROWS_PER_TRANSACTION.min(total - done);
            let mut tx = self.db.begin_write().await?;
            let inquiry_ids =
                allocate_ids(&mut tx, self.backend, "inquiries", count as usize).await?;
            let lead_ids = allocate_ids(&mut tx, self.backend, "leads", count as usize).await?;
            let mut inquiry_rows = Vec::with_capacity(count as usize);
            let mut lead_rows = Vec::with_capacity(count as usize);
            let mut history_rows = Vec::with_capacity(2 * count as usize);
            let mut handovers = Vec::with_capacity(count as usize);
            for n in 0..count as usize {
                let index = done + n as u64;
                let (inquiry, lead) = (inquiry_ids[n], lead_ids[n]);
                let mut rng = Rng::derive(self.seed, TAG_LEAD, index);
                let at = self.timeline.moment(index, total);
                let quarter = self.timeline.quarter_of(at);
                let office = rng.below(offices as u64) as usize;
                let campaign = rng
                    .chance(0.4)
                    .then(|| rng.below(self.campaigns[quarter].len() as u64) as usize)
                    .filter(|_| !self.campaigns[quarter].is_empty());
                let origin = match campaign {
                    Some(c) => Origin::Campaign(c),
                    None => Origin::Source(rng.pick(SOURCES)),
                };
                let source = match origin {
                    Origin::Campaign(c) => self.campaigns[quarter][c].channel,
                    Origin::Source(source) => source,
                };
                let account = rng
                    .chance(0.35)
                    .then(|| rng.below(self.accounts.len() as u64) as usize);
                let contact = account.map(|a| self.accounts[a].contacts[rng.below(2) as usize]);

                let becomes_deal = next_conversion < inbound && converted(next_conversion) == index;
                // Stages after `new`, each with its moment; a path stops at today.
                let mut path: Vec<(Stage, i64)> = Vec::new();
                let owner = if becomes_deal {
                    next_conversion += 1;
                    let deal_owner = match account {
                        Some(a) if self.accounts[a].customer => self.accounts[a].owner,
                        _ => self.people[rng.pick(&hunters[office])].id,
                    };
                    let created = (at + rng.between(5, 40) * DAY).min(today - HOUR).max(at);
                    let steps = [Stage::Mql, Stage::Sal, Stage::Sql, Stage::Opportunity];
                    for (k, stage) in steps.iter().enumerate() {
                        path.push((*stage, at + (created - at) * (k as i64 + 1) / 4));
                    }
                    let deal = self.plan_deal(&mut rng, deal_owner, account, Some(lead), created);
                    if deal.won == Some(true) {
                        path.push((Stage::Customer, deal.closes));
                    }
                    self.deals.push(deal);
                    Some(deal_owner)
                } else {
                    let outcome = rng.weighted(&[
                        (Stage::Disqualified, 30),
                        (Stage::Nurture, 22),
                        (Stage::Mql, 20),
                        (Stage::Sal, 8),
                        (Stage::Sql, 5),
                        (Stage::New, 15),
                    ]);
                    let steps: &[Stage] = match outcome {
                        Stage::Disqualified => &[Stage::Disqualified],
                        Stage::Nurture if rng.chance(0.2) => &[Stage::Nurture, Stage::Mql],
                        Stage::Nurture => &[Stage::Nurture],
                        Stage::Mql => &[Stage::Mql],
                        Stage::Sal => &[Stage::Mql, Stage::Sal],
                        Stage::Sql => &[Stage::Mql, Stage::Sal, Stage::Sql],
                        _ => &[],
                    };
                    let mut moment = at;
                    for stage in steps {
                        moment += rng.between(1, 12) * DAY + rng.between(0, 8) * HOUR;
                        if moment > today {
                            break;
                        }
                        path.push((*stage, moment));
                    }
                    match path.last().map(|(stage, _)| *stage) {
                        None => None,
                        Some(Stage::Nurture) => Some(rng.pick(&marketers[office])),
                        Some(_) => Some(rng.pick(&qualifiers[office])),
                    }
                    .map(|p| self.people[p].id)
                };
                let stage = path.last().map_or(Stage::New, |(s, _)| *s);
                let reached_mql = path.iter().any(|(s, _)| *s == Stage::Mql);
                let facts = self.lead_facts.entry((quarter, origin)).or_default();
                facts.0 += 1;
                facts.1 += i64::from(reached_mql);
                let score = match stage {
                    Stage::Opportunity | Stage::Customer => rng.between(70, 98),
                    Stage::Mql | Stage::Sal | Stage::Sql => rng.between(50, 85),
                    Stage::Nurture | Stage::New => rng.between(25, 65),
                    Stage::Disqualified => rng.between(2, 40),
                };
                let intent = rng.weighted(&[
                    (Intent::NewBusiness, 85),
                    (Intent::Rfp, 10),
                    (Intent::Other, 5),
                ]);
                let (first, last) = name_of(&mut rng);
                let email = match contact {
                    Some(_) => format!(
                        "{}.{}@customer{index}.example",
                        mailbox(first),
                        mailbox(last)
                    ),
                    None => format!("{}.{}{index}@mail.example", mailbox(first), mailbox(last)),
                };
                let channel = if campaign.is_some() {
                    Channel::Form
                } else {
                    rng.pick(&[Channel::Form, Channel::Email, Channel::Api])
                };
                let raw = serde_json::json!({
                    "name": format!("{first} {last}"),
                    "email": email,
                    "company": account.map(|a| self.accounts[a].name.as_str()),
                    "message": format!("We would like to hear more about {}.", rng.pick(PRODUCTS)),
                    "source": source,
                })
                .to_string()
                .into_bytes();
                let content_hash = format!("{:016x}", rng.next_u64());
                let processed = at + rng.between(15, 90) * 1000;
                inquiry_rows.push(vec![
                    inquiry.into(),
                    at.into(),
                    channel.as_str().into(),
                    source.into(),
                    raw.into(),
                    content_hash.into(),
                    InquiryStatus::Processed.as_str().into(),
                    contact.into(),
                    account.map(|a| self.accounts[a].id).into(),
                    lead.into(),
                    processed.into(),
                ]);
                let queue = match account {
                    _ if !becomes_deal => &sales.qualification,
                    Some(a) if self.accounts[a].customer => &sales.farming,
                    _ => &sales.hunting,
                };
                let mut work_rng = Rng::derive(self.seed, TAG_WORK, index);
                let handover = self.hand_over(
                    queue,
                    &path,
                    owner,
                    &qualifiers[office],
                    (at, processed),
                    &mut work_rng,
                );
                // Routing made the assignee the owner of a lead nobody
                // worked on yet.
                let owner = owner.or(handover.as_ref().map(|h| h.assignee));
                lead_rows.push(vec![
                    lead.into(),
                    inquiry.into(),
                    contact.into(),
                    account.map(|a| self.accounts[a].id).into(),
                    campaign.map(|c| self.campaigns[quarter][c].id).into(),
                    source.into(),
                    stage.as_str().into(),
                    intent.as_str().into(),
                    score.into(),
                    grade_for(score).as_str().into(),
                    owner.into(),
                    at.into(),
                    path.last().map_or(at, |(_, moment)| *moment).into(),
                ]);
                let mut from = Stage::New;
                for (to, moment) in path {
                    history_rows.push(vec![
                        lead.into(),
                        from.as_str().into(),
                        to.as_str().into(),
                        "worked by the team".into(),
                        owner.into(),
                        moment.into(),
                    ]);
                    from = to;
                }
                handovers.extend(handover.map(|h| (lead, inquiry, h)));
                self.leads.push(LeadRef {
                    id: lead,
                    account,
                    contact,
                });
            }
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO inquiries (id, received_at, channel, origin, raw, content_hash, status,
                     contact_id, account_id, lead_id, processed_at)",
                "",
                &inquiry_rows,
            )
            .await?;
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO leads (id, inquiry_id, contact_id, account_id, campaign_id, source, stage,
                     intent, score, grade, owner_id, created_at, updated_at)",
                "",
                &lead_rows,
            )
            .await?;
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO lead_stage_history (lead_id, from_stage, to_stage, reason, actor_id, at)",
                "",
                &history_rows,
            )
            .await?;
            self.store_handovers(&mut tx, &handovers).await?;
            tx.commit().await?;
            done += count;
            progress("leads and their work items", done, total);
        }
        // Reps find the rest themselves: cold calls, account plans.
        let outbound = opportunities.saturating_sub(self.deals.len() as u64);
        for j in 0..outbound {
            let mut rng = Rng::derive(self.seed, TAG_OUTBOUND, j);
            let created = self.timeline.moment(j, outbound);
            let account = rng.below(self.accounts.len() as u64) as usize;
            let owner = if self.accounts[account].customer {
                self.accounts[account].owner
            } else {
                self.people[rng.pick(&hunters[self.accounts[account].office])].id
            };
            let deal = self.plan_deal(&mut rng, owner, Some(account), None, created);
            self.deals.push(deal);
        }
        Ok(())
    }
}

/// The queues leads are handed to sales in: the first of each sales
/// function, as routing's defaults have them.
struct SalesQueues {
    qualification: Queue,
    hunting: Queue,
    farming: Queue,
}

impl SalesQueues {
    async fn load(db: &Db) -> Result<SalesQueues> {
        let queues = db.queues().await?;
        let first = |function: Function| {
            queues
                .iter()
                .find(|q| q.function == function)
                .cloned()
                .ok_or_else(|| DbError::Config(format!("there is no {function} queue")))
        };
        Ok(SalesQueues {
            qualification: first(Function::Qualification)?,
            hunting: first(Function::Hunting)?,
            farming: first(Function::Farming)?,
        })
    }
}

/// Why sales sent back a lead that was then disqualified.
const DISQUALIFYING: &[&str] = &[
    "No budget",
    "Student or job seeker",
    "A competitor looking around",
    "Outside the markets we serve",
];

/// Why sales sent back a lead that marketing then nurtured.
const NOT_YET: &[&str] = &[
    "Not buying this year",
    "Only wanted the brochure",
    "No project yet",
];

/// How sales answered a lead handed to them.
#[derive(Clone, Copy)]
enum Answer {
    /// Taken, and done at a moment for a reason once its work ended.
    Accepted(Option<(i64, &'static str)>),
    Rejected(&'static str),
}

/// A lead's work item in a sales queue.
struct Handover<'q> {
    queue: &'q Queue,
    assignee: i64,
    /// When the item was created.
    at: i64,
    /// First-touch and resolution due times.
    due: (i64, i64),
    /// The answer and its moment; `None` while open.
    answer: Option<(Answer, i64)>,
}

/// What an activity or a call is about.
#[derive(Default)]
struct About {
    contact: Option<i64>,
    account: Option<i64>,
    lead: Option<i64>,
    opportunity: Option<i64>,
    /// The deal's amount and currency.
    value: Option<(i64, &'static str)>,
    subject: String,
}

/// One line of a forecast.
struct Line {
    opportunity: Option<i64>,
    account: Option<i64>,
    campaign: Option<i64>,
    channel: Option<&'static str>,
    description: String,
    category: Option<ForecastCategory>,
    amount: i64,
    currency: &'static str,
    leads: Option<i64>,
    mqls: Option<i64>,
}

/// One forecast version.
struct Submission {
    user: i64,
    kind: ForecastKind,
    quarter: Quarter,
    version: i64,
    at: i64,
    lines: Vec<Line>,
}

/// Picks an index from cumulative weights.
fn pick_cumulative(rng: &mut Rng, cumulative: &[u64]) -> usize {
    let roll = rng.below(cumulative[cumulative.len() - 1].max(1));
    cumulative.partition_point(|c| *c <= roll)
}

impl Company<'_> {
    /// The work item of a lead received and routed at `(received, routed)`
    /// into `queue`, as its stage `path` tells: leads that reached SAL were
    /// accepted, and the item done once they became opportunities;
    /// disqualified ones were mostly sent back with a reason, the others
    /// accepted and done when disqualified; half of the nurtured ones were
    /// sent back; the rest are still open. Each answer comes before the
    /// stage change it led to, within the first-touch SLA as often as the
    /// assignee is prompt. `None` for the nurtured leads marketing kept.
    /// `owner` is the lead's owner; a qualifier of `qualifiers` takes a
    /// lead without one, or owned by a marketer.
    fn hand_over<'q>(
        &self,
        queue: &'q Queue,
        path: &[(Stage, i64)],
        owner: Option<i64>,
        qualifiers: &[usize],
        (received, routed): (i64, i64),
        rng: &mut Rng,
    ) -> Option<Handover<'q>> {
        let reached = |stage| path.iter().find(|(s, _)| *s == stage).map(|(_, at)| *at);
        let answered = if let Some(by) = reached(Stage::Nurture) {
            if !rng.chance(0.5) {
                return None;
            }
            Some((Answer::Rejected(rng.pick(NOT_YET)), by))
        } else if let Some(by) = reached(Stage::Disqualified) {
            let why = rng.pick(DISQUALIFYING);
            let answer = if rng.chance(0.7) {
                Answer::Rejected(why)
            } else {
                Answer::Accepted(Some((by, why)))
            };
            Some((answer, by))
        } else {
            let converted =
                reached(Stage::Opportunity).map(|at| (at, "converted to an opportunity"));
            reached(Stage::Sal).map(|by| (Answer::Accepted(converted), by))
        };
        let assignee = match owner {
            Some(id) if self.person(id).role != Role::Marketer => id,
            _ => self.people[rng.pick(qualifiers)].id,
        };
        let clock = &self.timeline.clock;
        let due = (
            clock.due(
                received,
                queue.first_touch_sla_minutes,
                queue.business_hours,
            ),
            clock.due(received, queue.resolution_sla_minutes, queue.business_hours),
        );
        let answer = answered.map(|(answer, by)| {
            let allowed = (due.0 - routed).max(MINUTE);
            let waited = if rng.chance(self.person(assignee).prompt) {
                (allowed as f64 * rng.unit()) as i64
            } else {
                allowed + rng.between(10 * MINUTE, 3 * DAY)
            };
            (answer, (routed + waited).min(by).max(routed))
        });
        Some(Handover {
            queue,
            assignee,
            at: routed,
            due,
            answer,
        })
    }

    /// Writes the work items of `handovers` (lead, inquiry, hand-over) with
    /// their assignment history: the assignment, then the answer and the
    /// end of the work if any.
    async fn store_handovers(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        handovers: &[(i64, i64, Handover<'_>)],
    ) -> Result<()> {
        let ids = allocate_ids(tx, self.backend, "work_items", handovers.len()).await?;
        let mut item_rows = Vec::with_capacity(handovers.len());
        let mut history_rows = Vec::with_capacity(2 * handovers.len());
        for ((lead, inquiry, handover), id) in handovers.iter().zip(ids) {
            let queue = handover.queue;
            let assignee = self.person(handover.assignee);
            // (status, first touch, reject reason, last update, end of the work).
            let (status, touched, rejected, updated, done) = match handover.answer {
                None => ("assigned", None, None, handover.at, None),
                Some((Answer::Accepted(None), at)) => ("accepted", Some(at), None, at, None),
                Some((Answer::Accepted(Some((done, why))), at)) => {
                    let done = done.max(at);
                    ("done", Some(at), None, done, Some((done, why)))
                }
                Some((Answer::Rejected(why), at)) => ("rejected", None, Some(why), at, None),
            };
            item_rows.push(vec![
                id.into(),
                (*lead).into(),
                (*inquiry).into(),
                queue.id.into(),
                assignee.id.into(),
                status.into(),
                handover.due.0.into(),
                handover.due.1.into(),
                touched.into(),
                rejected.into(),
                handover.at.into(),
                updated.into(),
            ]);
            history_rows.push(vec![
                id.into(),
                "assigned".into(),
                None::<i64>.into(),
                Some(assignee.id).into(),
                Some(queue.id).into(),
                format!("{} picked by {}", assignee.name, queue.strategy).into(),
                None::<i64>.into(),
                handover.at.into(),
            ]);
            let answer = handover.answer.map(|(answer, at)| match answer {
                Answer::Accepted(_) => (
                    "accepted",
                    Some(assignee.id),
                    "accepted by the assignee",
                    at,
                ),
                Answer::Rejected(why) => ("rejected", None, why, at),
            });
            let end = done.map(|(at, why)| ("done", None, why, at));
            for (action, to, reason, at) in answer.into_iter().chain(end) {
                history_rows.push(vec![
                    id.into(),
                    action.into(),
                    Some(assignee.id).into(),
                    to.into(),
                    None::<i64>.into(),
                    reason.into(),
                    Some(assignee.id).into(),
                    at.into(),
                ]);
            }
        }
        insert_rows::<(i64,)>(
            tx,
            "INSERT INTO work_items (id, lead_id, inquiry_id, queue_id, assignee_id, status,
                 first_touch_due_at, resolution_due_at, first_touched_at, reject_reason, created_at,
                 updated_at)",
            "",
            &item_rows,
        )
        .await?;
        insert_rows::<(i64,)>(
            tx,
            "INSERT INTO assignment_history (work_item_id, action, from_user_id, to_user_id,
                 to_queue_id, reason, actor_id, at)",
            "",
            &history_rows,
        )
        .await?;
        Ok(())
    }

    /// Opportunities in the order they were opened.
    async fn store_deals(&mut self, progress: &dyn Fn(&str, u64, u64)) -> Result<()> {
        self.deals.sort_by_key(|deal| deal.created);
        let total = self.deals.len();
        let today = self.timeline.today();
        for start in (0..total).step_by(ROWS_PER_TRANSACTION as usize) {
            let end = (start + ROWS_PER_TRANSACTION as usize).min(total);
            let mut tx = self.db.begin_write().await?;
            let ids = allocate_ids(&mut tx, self.backend, "opportunities", end - start).await?;
            let mut rows = Vec::with_capacity(end - start);
            for (deal, id) in self.deals[start..end].iter_mut().zip(ids) {
                deal.id = id;
                let stage = match deal.won {
                    Some(true) => OpportunityStage::Won,
                    Some(false) => OpportunityStage::Lost,
                    None => {
                        let share =
                            (today - deal.created) as f64 / (deal.closes - deal.created) as f64;
                        match share {
                            s if s < 0.25 => OpportunityStage::Prospecting,
                            s if s < 0.5 => OpportunityStage::Engaging,
                            s if s < 0.75 => OpportunityStage::Proposal,
                            _ => OpportunityStage::Negotiation,
                        }
                    }
                };
                let clock = &self.timeline.clock;
                let name = match deal.account {
                    Some(a) => format!("{} – {}", self.accounts[a].name, deal.product),
                    None => deal.product.to_string(),
                };
                let close_reason = deal.won.map(|won| {
                    if won {
                        "Chose us for the mobile work orders"
                    } else {
                        "Went with a competitor"
                    }
                });
                rows.push(vec![
                    id.into(),
                    name.into(),
                    deal.account.map(|a| self.accounts[a].id).into(),
                    deal.contact.into(),
                    deal.lead.into(),
                    deal.owner.into(),
                    deal.product.into(),
                    deal.amount.into(),
                    deal.currency.into(),
                    stage.as_str().into(),
                    i64::from(stage.default_probability()).into(),
                    stage.default_forecast_category().as_str().into(),
                    clock.day_text(deal.closes).into(),
                    clock
                        .day_text((deal.created + 3 * DAY).min(deal.closes))
                        .into(),
                    Value::Text(deal.won.map(|_| clock.day_text(deal.closes))),
                    close_reason.into(),
                    deal.created.into(),
                    deal.closes.min(today).into(),
                ]);
            }
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO opportunities (id, name, account_id, contact_id, lead_id, owner_id, product,
                     amount_minor, currency, stage, probability, forecast_category, expected_close,
                     engaged_on, closed_on, close_reason, created_at, updated_at)",
                "",
                &rows,
            )
            .await?;
            tx.commit().await?;
            progress("opportunities", end as u64, total as u64);
        }
        for (index, deal) in self.deals.iter().enumerate() {
            self.deals_by_owner
                .entry(deal.owner)
                .or_default()
                .push(index);
        }
        Ok(())
    }

    /// One of `owner`'s deals open at `at`, among the last they opened.
    fn deal_open_at(&self, owner: i64, at: i64, rng: &mut Rng) -> Option<&Deal> {
        let deals = self.deals_by_owner.get(&owner)?;
        let opened = deals.partition_point(|d| self.deals[*d].created <= at);
        let open: Vec<&Deal> = deals[..opened]
            .iter()
            .rev()
            .take(30)
            .map(|d| &self.deals[*d])
            .filter(|deal| deal.closes >= at)
            .collect();
        (!open.is_empty()).then(|| open[rng.below(open.len() as u64) as usize])
    }

    /// A lead that arrived in the month before `at`.
    fn lead_near(&self, at: i64, rng: &mut Rng) -> &LeadRef {
        let total = self.leads.len() as u64;
        let last = self.timeline.events_before(at, total).clamp(1, total);
        let first = self
            .timeline
            .events_before(at - 30 * DAY, total)
            .min(last - 1);
        &self.leads[rng.between(first as i64, last as i64 - 1) as usize]
    }

    fn about_deal(&self, deal: &Deal) -> About {
        let account = deal.account.map(|a| &self.accounts[a]);
        About {
            contact: deal.contact,
            account: account.map(|a| a.id),
            lead: deal.lead,
            opportunity: Some(deal.id),
            value: Some((deal.amount, deal.currency)),
            subject: account
                .map_or(deal.product, |a| a.name.as_str())
                .to_string(),
        }
    }

    fn about_lead(&self, lead: &LeadRef) -> About {
        About {
            contact: lead.contact,
            account: lead.account.map(|a| self.accounts[a].id),
            lead: Some(lead.id),
            subject: lead.account.map_or_else(
                || format!("lead {}", lead.id),
                |a| self.accounts[a].name.clone(),
            ),
            ..About::default()
        }
    }

    fn about_account(&self, account: usize) -> About {
        let account = &self.accounts[account];
        About {
            contact: Some(account.contacts[0]),
            account: Some(account.id),
            subject: account.name.clone(),
            ..About::default()
        }
    }

    /// What `person`'s work at `at` is about: their own open deal, a new
    /// lead, or a customer, as their role has it.
    fn about(&self, person: &Person, at: i64, customers: &[usize], rng: &mut Rng) -> About {
        let sells = matches!(person.role, Role::Hunter | Role::Farmer);
        if sells
            && rng.chance(0.6)
            && let Some(deal) = self.deal_open_at(person.id, at, rng)
        {
            return self.about_deal(deal);
        }
        match person.role {
            Role::Hunter | Role::Qualifier | Role::Marketer => {
                self.about_lead(self.lead_near(at, rng))
            }
            Role::Farmer | Role::Service | Role::Operations => {
                self.about_account(rng.pick(customers))
            }
            Role::Manager | Role::Owner => About::default(),
        }
    }

    /// Accounts that are customers, or all of them when none is.
    fn customers(&self) -> Vec<usize> {
        let customers: Vec<usize> = (0..self.accounts.len())
            .filter(|a| self.accounts[*a].customer)
            .collect();
        if customers.is_empty() {
            (0..self.accounts.len()).collect()
        } else {
            customers
        }
    }

    /// The activities of every role, oldest first: busy people log more,
    /// and some of everyone's work belongs to another function.
    async fn log_activities(&self, total: u64, progress: &dyn Fn(&str, u64, u64)) -> Result<()> {
        let mut cumulative = Vec::with_capacity(self.people.len());
        let mut sum = 0;
        for person in &self.people {
            sum += (activity_weight(person.role) * person.busyness * 100.0) as u64;
            cumulative.push(sum);
        }
        let customers = self.customers();
        let mut done = 0;
        while done < total {
            let count = ROWS_PER_TRANSACTION.min(total - done);
            let mut rows = Vec::with_capacity(count as usize);
            for index in done..done + count {
                let mut rng = Rng::derive(self.seed, TAG_ACTIVITY, index);
                let at = self.timeline.moment(index, total);
                let person = &self.people[pick_cumulative(&mut rng, &cumulative)];
                let role = if rng.chance(person.stray) {
                    let others: Vec<Role> = FUNCTION_ROLES
                        .iter()
                        .copied()
                        .filter(|r| *r != person.role)
                        .collect();
                    rng.pick(&others)
                } else {
                    person.role
                };
                let kind = rng.pick(everyday_work(role));
                let about = self.about(person, at, &customers, &mut rng);
                rows.push(vec![
                    kind.into(),
                    person.id.into(),
                    about.contact.into(),
                    about.account.into(),
                    about.lead.into(),
                    about.opportunity.into(),
                    at.into(),
                    outcome(kind, &mut rng).into(),
                    (at + rng.between(2, 90) * MINUTE).into(),
                ]);
            }
            let mut tx = self.db.begin_write().await?;
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO activities (type_slug, user_id, contact_id, account_id, lead_id,
                     opportunity_id, occurred_at, outcome, created_at)",
                "",
                &rows,
            )
            .await?;
            tx.commit().await?;
            done += count;
            progress("activities", done, total);
        }
        Ok(())
    }

    /// When `person` submits forecasts for quarter `q`: before it starts,
    /// often again after a few weeks, now and then late in the quarter.
    fn submission_moments(&self, q: usize, rng: &mut Rng) -> Vec<i64> {
        let starts = self.timeline.bounds[q];
        let mut moments = vec![starts - rng.between(1, 6) * DAY + rng.between(8, 17) * HOUR];
        if rng.chance(0.6) {
            moments.push(starts + rng.between(15, 40) * DAY + rng.between(8, 17) * HOUR);
        }
        if rng.chance(0.25) {
            moments.push(starts + rng.between(50, 75) * DAY + rng.between(8, 17) * HOUR);
        }
        moments.retain(|at| *at < self.timeline.today());
        moments
    }

    /// A rep's revenue forecast made at `at`: the deals they expect to
    /// close in the quarter, and what they expect beyond them, over what
    /// they will win by their bias.
    fn revenue_lines(
        &self,
        person: &Person,
        closing: &[usize],
        at: i64,
        rng: &mut Rng,
    ) -> Vec<Line> {
        let won: i64 = closing
            .iter()
            .map(|d| &self.deals[*d])
            .filter(|deal| deal.won == Some(true) && deal.currency == CURRENCY)
            .map(|deal| deal.amount)
            .sum();
        let bias = person.forecast_bias;
        let mut lines: Vec<Line> = closing
            .iter()
            .map(|d| &self.deals[*d])
            .filter(|deal| deal.created <= at)
            .take(6)
            .map(|deal| {
                let category = match deal.won {
                    Some(true) if rng.chance(0.8) => ForecastCategory::Commit,
                    Some(true) => ForecastCategory::BestCase,
                    Some(false) if rng.chance(0.5) => ForecastCategory::BestCase,
                    _ => ForecastCategory::Pipeline,
                };
                let about = self.about_deal(deal);
                Line {
                    opportunity: about.opportunity,
                    account: about.account,
                    campaign: None,
                    channel: None,
                    description: about.subject,
                    category: Some(category),
                    amount: hundreds_of_dollars(deal.amount as f64 / 100.0 * bias),
                    currency: deal.currency,
                    leads: None,
                    mqls: None,
                }
            })
            .collect();
        let named: i64 = lines
            .iter()
            .filter(|l| {
                l.currency == CURRENCY
                    && matches!(
                        l.category,
                        Some(ForecastCategory::Commit | ForecastCategory::BestCase)
                    )
            })
            .map(|l| l.amount)
            .sum();
        let expected = (won as f64 * bias * (0.85 + 0.3 * rng.unit())) as i64;
        if expected > named {
            lines.push(Line {
                opportunity: None,
                account: None,
                campaign: None,
                channel: None,
                description: "Business not yet in the pipeline".to_string(),
                category: Some(ForecastCategory::Commit),
                amount: hundreds_of_dollars((expected - named) as f64 / 100.0),
                currency: CURRENCY,
                leads: None,
                mqls: None,
            });
        }
        lines
    }

    /// A marketer's lead forecast for quarter `q`: their campaign and the
    /// sources they answer for, around what arrived, by their bias.
    fn lead_lines(
        &self,
        q: usize,
        marketer: usize,
        rank: usize,
        ranks: usize,
        rng: &mut Rng,
    ) -> Vec<Line> {
        let campaigns = self.campaigns[q]
            .iter()
            .enumerate()
            .filter(|(_, c)| c.marketer == marketer)
            .map(|(c, campaign)| {
                (
                    Origin::Campaign(c),
                    Some(campaign.id),
                    campaign.name.clone(),
                )
            });
        let sources = SOURCES
            .iter()
            .enumerate()
            .filter(|(s, _)| s % ranks == rank)
            .map(|(_, source)| (Origin::Source(source), None, format!("Leads from {source}")));
        let bias = self.people[marketer].forecast_bias;
        campaigns
            .chain(sources)
            .map(|(origin, campaign, description)| {
                let (leads, mqls) = self
                    .lead_facts
                    .get(&(q, origin))
                    .copied()
                    .unwrap_or_default();
                let noise = bias * (0.85 + 0.3 * rng.unit());
                let mqls = (mqls as f64 * noise).round() as i64;
                Line {
                    opportunity: None,
                    account: None,
                    campaign,
                    channel: match origin {
                        Origin::Source(source) => Some(source),
                        Origin::Campaign(_) => None,
                    },
                    description,
                    category: None,
                    amount: mqls * VALUE_PER_MQL,
                    currency: CURRENCY,
                    leads: Some((leads as f64 * noise).round() as i64),
                    mqls: Some(mqls),
                }
            })
            .collect()
    }

    /// Revenue forecasts by every rep and lead forecasts by every marketer,
    /// each quarter, in one to three versions.
    async fn submit_forecasts(&self, progress: &dyn Fn(&str, u64, u64)) -> Result<()> {
        let history_ends = self.timeline.bounds[self.timeline.bounds.len() - 1];
        let mut closing: BTreeMap<(i64, usize), Vec<usize>> = BTreeMap::new();
        for (index, deal) in self.deals.iter().enumerate() {
            if deal.closes < history_ends {
                closing
                    .entry((deal.owner, self.timeline.quarter_of(deal.closes)))
                    .or_default()
                    .push(index);
            }
        }
        let marketers: Vec<usize> = (0..self.people.len())
            .filter(|p| self.people[*p].role == Role::Marketer)
            .collect();
        let mut submissions = Vec::new();
        for (q, quarter) in self.timeline.quarters.iter().enumerate() {
            for (p, person) in self.people.iter().enumerate() {
                let kind = match person.role {
                    Role::Hunter | Role::Farmer => ForecastKind::Revenue,
                    Role::Marketer => ForecastKind::Leads,
                    _ => continue,
                };
                let mut rng =
                    Rng::derive(self.seed, TAG_FORECAST, (q * self.people.len() + p) as u64);
                let mut version = 0;
                for at in self.submission_moments(q, &mut rng) {
                    let lines = match kind {
                        ForecastKind::Revenue => {
                            let deals = closing.get(&(person.id, q)).map_or(&[][..], Vec::as_slice);
                            self.revenue_lines(person, deals, at, &mut rng)
                        }
                        ForecastKind::Leads => {
                            let rank = marketers.iter().position(|m| *m == p).unwrap_or(0);
                            self.lead_lines(q, p, rank, marketers.len(), &mut rng)
                        }
                    };
                    if lines.is_empty() {
                        continue;
                    }
                    version += 1;
                    submissions.push(Submission {
                        user: person.id,
                        kind,
                        quarter: *quarter,
                        version,
                        at,
                        lines,
                    });
                }
            }
        }
        submissions.sort_by_key(|s| s.at);
        let total = submissions.len();
        for start in (0..total).step_by(ROWS_PER_TRANSACTION as usize / 10) {
            let end = (start + ROWS_PER_TRANSACTION as usize / 10).min(total);
            let mut tx = self.db.begin_write().await?;
            let ids = allocate_ids(&mut tx, self.backend, "forecasts", end - start).await?;
            let mut forecast_rows = Vec::with_capacity(end - start);
            let mut line_rows = Vec::new();
            for (submission, id) in submissions[start..end].iter().zip(ids) {
                forecast_rows.push(vec![
                    id.into(),
                    submission.user.into(),
                    submission.kind.as_str().into(),
                    submission.quarter.to_string().into(),
                    submission.version.into(),
                    submission.user.into(),
                    submission.at.into(),
                ]);
                line_rows.extend(submission.lines.iter().map(|line| -> Vec<Value> {
                    vec![
                        id.into(),
                        line.opportunity.into(),
                        line.account.into(),
                        line.campaign.into(),
                        line.channel.into(),
                        line.description.as_str().into(),
                        line.category.map(|c| c.as_str()).into(),
                        line.amount.into(),
                        line.currency.into(),
                        line.leads.into(),
                        line.mqls.into(),
                    ]
                }));
            }
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO forecasts (id, user_id, kind, quarter, version, submitted_by, submitted_at)",
                "",
                &forecast_rows,
            )
            .await?;
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO forecast_lines (forecast_id, opportunity_id, account_id, campaign_id,
                     channel, description, category, amount_minor, currency, leads, mqls)",
                "",
                &line_rows,
            )
            .await?;
            tx.commit().await?;
            progress("forecasts", end as u64, total as u64);
        }
        Ok(())
    }

    /// A day's call sheet for every qualifier and rep on each working day of
    /// the last four quarters (when call sheets came into use), with the
    /// calls each got done.
    async fn make_call_sheets(&self, progress: &dyn Fn(&str, u64, u64)) -> Result<()> {
        let clock = &self.timeline.clock;
        let first_quarter = self.timeline.quarters.len().saturating_sub(4);
        let mut day = self.timeline.quarters[first_quarter].first_day();
        let last = clock.date(self.timeline.today());
        let mut days = Vec::new();
        while day <= last {
            if day.weekday().to_monday_zero_offset() < 5 {
                days.push(day);
            }
            day = day
                .tomorrow()
                .map_err(|e| DbError::invalid("today", e.to_string()))?;
        }
        let callers: Vec<&Person> = self
            .people
            .iter()
            .filter(|p| matches!(p.role, Role::Qualifier | Role::Hunter | Role::Farmer))
            .collect();
        let customers = self.customers();
        let today = self.timeline.today();
        // Days per transaction: about as many lines as other steps write.
        let days_per_step = (ROWS_PER_TRANSACTION as usize / 10 / callers.len().max(1)).max(1);
        for (step, chunk) in days.chunks(days_per_step).enumerate() {
            let mut tx = self.db.begin_write().await?;
            let ids = allocate_ids(
                &mut tx,
                self.backend,
                "call_sheets",
                chunk.len() * callers.len(),
            )
            .await?;
            let mut sheet_rows = Vec::with_capacity(ids.len());
            let mut line_rows = Vec::new();
            for (n, day) in chunk.iter().enumerate() {
                let day_index = step * days_per_step + n;
                for (c, person) in callers.iter().enumerate() {
                    let sheet = ids[n * callers.len() + c];
                    let mut rng = Rng::derive(
                        self.seed,
                        TAG_CALL_SHEET,
                        (day_index * callers.len() + c) as u64,
                    );
                    sheet_rows.push(vec![
                        sheet.into(),
                        person.id.into(),
                        SheetPeriod::Day.as_str().into(),
                        day.to_string().into(),
                        monday_of(*day).to_string().into(),
                        clock.local(*day, 7 * 60 + 30).into(),
                    ]);
                    let noon = clock.local(*day, 12 * 60);
                    for position in 1..=rng.between(6, 14) {
                        let about = self.about(person, noon, &customers, &mut rng);
                        let reason = match (about.opportunity, about.lead) {
                            (Some(_), _) => "open deal",
                            (None, Some(_)) => "new lead",
                            _ => "account check-in",
                        };
                        let done_at = clock.local(*day, rng.between(9 * 60, 17 * 60));
                        let done = done_at < today && rng.chance(person.completion);
                        line_rows.push(vec![
                            sheet.into(),
                            position.into(),
                            about.lead.into(),
                            about.opportunity.into(),
                            about.account.into(),
                            about.contact.into(),
                            about.subject.into(),
                            reason.into(),
                            about.value.map(|(amount, _)| amount).into(),
                            about.value.map(|(_, currency)| currency).into(),
                            done.then_some(done_at).into(),
                            done.then(|| outcome("call", &mut rng)).into(),
                        ]);
                    }
                }
            }
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO call_sheets (id, user_id, period, starts_on, week_starts_on, generated_at)",
                "",
                &sheet_rows,
            )
            .await?;
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO call_sheet_lines (sheet_id, position, lead_id, opportunity_id, account_id,
                     contact_id, subject, reason, value_minor, currency, done_at, outcome)",
                "",
                &line_rows,
            )
            .await?;
            tx.commit().await?;
            let done = ((step + 1) * days_per_step).min(days.len());
            progress("call sheets", done as u64, days.len() as u64);
        }
        Ok(())
    }
}

async fn summarise(db: &Db) -> Result<LargeSummary> {
    Ok(LargeSummary {
        users: count_rows(db, "users").await?,
        teams: count_rows(db, "teams").await?,
        accounts: count_rows(db, "accounts").await?,
        contacts: count_rows(db, "contacts").await?,
        campaigns: count_rows(db, "campaigns").await?,
        leads: count_rows(db, "leads").await?,
        lead_stage_history: count_rows(db, "lead_stage_history").await?,
        work_items: count_rows(db, "work_items").await?,
        assignment_history: count_rows(db, "assignment_history").await?,
        opportunities: count_rows(db, "opportunities").await?,
        activities: count_rows(db, "activities").await?,
        forecasts: count_rows(db, "forecasts").await?,
        forecast_lines: count_rows(db, "forecast_lines").await?,
        call_sheets: count_rows(db, "call_sheets").await?,
        call_sheet_lines: count_rows(db, "call_sheet_lines").await?,
    })
}
