//! Deterministic demo company.
//!
//! [`generate`] fills an empty database with two years in the life of
//! *Fieldwise*, a fictional company that sells maintenance and asset-tracking
//! software to mid-sized firms: staff in every role, teams and queues,
//! about 125 customer, prospect and suspect accounts with their contacts,
//! campaigns, inquiries that went through the real intake pipeline, the work
//! that followed in every queue, opportunities, activities and quarterly
//! revenue and lead forecasts.
//!
//! Every demo user signs in with the password `demo-password`
//! ([`DEMO_PASSWORD`]) at `owner@demo.baton.example`,
//! `manager1@demo.baton.example`, `marketer1@…`, `qualifier1@…`,
//! `hunter1@…`, `farmer1@…`, `service1@…`, `operations1@…` and so on.
//!
//! The same seed and the same `today` give the same data: randomness comes
//! from a small PRNG in this file, never from the system, and rows the real
//! code stamps with the wall clock are moved back into the demo's timeline.
//! (SQLite and PostgreSQL number some rows differently, since intake
//! allocates ids per backend; each backend repeats itself exactly.)
//! Companies use the reserved `.example` domain, so no address in the demo
//! belongs to anybody.

use crate::accounts::{NewAccount, normalise_company};
use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::intake::moderation::record_verdict;
use crate::queues::MemberChange;
use crate::settings::keys;
use crate::sql::{self, allocate_ids, insert_rows};
use crate::users::NewUser;
use crate::work_items::{choose_assignee, lock_queue_by_id};
use baton_core::calendar::Quarter;
use baton_core::charter::default_activity_types;
use baton_core::decision::Reason;
use baton_core::domain::{AccountStatus, Channel, InquiryStatus, Role, Stage, Tier};
use baton_core::inquiry::{Inquiry, Phone};
use baton_core::intake::{self, HONEYPOT_FIELD, content_hash, decode};
use baton_core::sla::BusinessHours;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::{Any, Transaction};
use std::collections::{BTreeMap, BTreeSet};

/// The password every demo user signs in with.
pub const DEMO_PASSWORD: &str = "demo-password";

/// Domain of the demo users' e-mail addresses.
pub const DEMO_DOMAIN: &str = "demo.baton.example";

/// Most inquiries one demo may hold.
pub const MAX_INQUIRIES: u64 = 1_000_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// The same seed with the same `today` gives the same data.
    pub seed: u64,
    /// Inquiries spread over the two years before `today`.
    pub inquiries: u64,
    /// "Now" for the demo, UTC milliseconds: its history ends here.
    pub today: i64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 1,
            inquiries: 3000,
            today: start_of_today(),
        }
    }
}

/// The start of the current day in the generated company's time zone, in
/// UTC milliseconds: where generated history ends, so that the same seed
/// gives the same company all day long.
pub fn start_of_today() -> i64 {
    jiff::Zoned::now()
        .with_time_zone(TimeZone::get(TIME_ZONE).unwrap_or(TimeZone::UTC))
        .start_of_day()
        .map_or_else(|_| crate::now_ms(), |day| day.timestamp().as_millisecond())
}

/// How many rows of each kind the demo holds: each field counts the table
/// of the same name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    pub users: u64,
    pub accounts: u64,
    pub contacts: u64,
    pub inquiries: u64,
    pub leads: u64,
    pub work_items: u64,
    pub opportunities: u64,
    pub activities: u64,
    pub forecasts: u64,
}

/// Fills an empty database with the demo company; see the module
/// documentation. All demo users share the password `demo-password`.
/// `progress(step, done, total)` is called as each step advances (`users`,
/// `accounts`, `inquiries`, `activities`, `forecasts`). A database that
/// already holds records is refused, untouched, so demo data never mixes with
/// real data.
pub async fn generate(
    db: &Db,
    options: &DemoOptions,
    progress: &dyn Fn(&str, u64, u64),
) -> Result<DemoSummary> {
    if let Some(held) = db.first_kind_held().await? {
        return Err(DbError::conflict(
            "database",
            format!(
                "it already holds {held}; demo data goes into a new database (a new data \
                 folder, or an empty PostgreSQL database)"
            ),
        ));
    }
    if !(1..=MAX_INQUIRIES).contains(&options.inquiries) {
        return Err(DbError::invalid(
            "inquiries",
            format!("must be between 1 and {MAX_INQUIRIES}"),
        ));
    }
    let clock = Clock::new(options.today)?;
    db.ensure_defaults().await?;
    // Marked until the last row is in, so that an interrupted run is told
    // apart from a company that is complete.
    db.put_setting(keys::GENERATING, &true).await?;
    db.put_setting(keys::TIME_ZONE, &TIME_ZONE).await?;
    db.put_setting(keys::CURRENCY, &CURRENCY).await?;

    let staff = hire_staff(db, &clock, progress).await?;
    let desks = Desks::load(db).await?;
    staff_the_desks(db, &staff, &desks).await?;
    let book = open_accounts(db, &clock, &staff, options.seed, progress).await?;
    let campaigns = launch_campaigns(db, &clock).await?;

    let mut sim = Sim {
        db,
        seed: options.seed,
        clock: &clock,
        staff: &staff,
        desks: &desks,
        book,
        agenda: BTreeMap::new(),
        next_event: 0,
        items: BTreeMap::new(),
        deals: Vec::new(),
        activities: Vec::new(),
        tx: None,
    };
    // Reps find opportunities without inquiries too: cold calls, account plans.
    sim.plan_outbound_deals(options.inquiries / 20 + 4);
    run_intake(&mut sim, &campaigns, options, progress).await?;
    sim.add_everyday_activities(options.inquiries / 3);
    sim.store_activities(progress).await?;
    submit_forecasts(&sim, &campaigns, progress).await?;

    // Somebody is always on holiday: routing skips her from today on.
    let away = staff.member("qualifier2");
    db.update_queue_member(
        Some(staff.owner()),
        desks.info(Desk::Qualification).id,
        away.id,
        &MemberChange {
            away: Some(true),
            ..Default::default()
        },
    )
    .await?;
    db.put_setting(keys::GENERATING, &false).await?;
    summarise(db).await
}

// ---------------------------------------------------------------------------
// Randomness and time
// ---------------------------------------------------------------------------

/// Streams of randomness, one per purpose, so that changing one part of the
/// demo leaves the others as they were.
const TAG_ACCOUNTS: u64 = 1;
const TAG_ARRIVALS: u64 = 2;
const TAG_INQUIRY: u64 = 3;
const TAG_TOUCH_TIME: u64 = 4;
const TAG_FIRST_TOUCH: u64 = 5;
const TAG_NEXT_STEP: u64 = 6;
const TAG_DEAL: u64 = 7;
const TAG_OUTBOUND: u64 = 8;
const TAG_EVERYDAY: u64 = 9;
const TAG_FORECAST: u64 = 10;

/// SplitMix64: tiny, fast, and the same on every platform and release,
/// which a library generator does not promise.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// An independent stream for one purpose (`tag`) and one thing (`id`).
    pub(crate) fn derive(seed: u64, tag: u64, id: u64) -> Rng {
        let mut mixer = Rng(seed ^ tag.wrapping_mul(0xA076_1D64_78BD_642F));
        let base = mixer.next_u64();
        let mut rng = Rng(base ^ id.wrapping_mul(0xE703_7ED1_A0B4_28DB));
        rng.next_u64();
        rng
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; `n` must be positive.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `low..=high`.
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below((high - low + 1) as u64) as i64
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// One of `choices`, each as likely as its weight.
    pub(crate) fn weighted<T: Copy>(&mut self, choices: &[(T, u32)]) -> T {
        let total: u64 = choices.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut roll = self.below(total.max(1));
        for (choice, weight) in choices {
            if roll < u64::from(*weight) {
                return *choice;
            }
            roll -= u64::from(*weight);
        }
        choices[choices.len() - 1].0
    }

    /// `value` scaled by a factor drawn from `low_percent..=high_percent`.
    fn scale(&mut self, value: f64, low_percent: i64, high_percent: i64) -> f64 {
        value * self.between(low_percent, high_percent) as f64 / 100.0
    }
}

pub(crate) const MINUTE: i64 = 60_000;
pub(crate) const HOUR: i64 = 60 * MINUTE;
pub(crate) const DAY: i64 = 24 * HOUR;
/// The demo's history: two years before `today`.
const HISTORY_DAYS: i64 = 730;
/// Where the demo company works; its business hours follow this zone.
pub(crate) const TIME_ZONE: &str = "America/Chicago";
pub(crate) const CURRENCY: &str = "USD";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The demo's calendar: its "now", where its history starts, its time zone
/// and business hours.
pub(crate) struct Clock {
    pub(crate) today: i64,
    start: i64,
    zone: TimeZone,
    hours: BusinessHours,
}

impl Clock {
    pub(crate) fn new(today: i64) -> Result<Clock> {
        // 2000-01-01 to 2100-01-01: every date the demo computes stays valid.
        if !(946_684_800_000..4_102_444_800_000).contains(&today) {
            return Err(DbError::invalid(
                "today",
                "must be a UTC millisecond time between the years 2000 and 2100",
            ));
        }
        let zone = TimeZone::get(TIME_ZONE)
            .map_err(|e| DbError::Config(format!("time zone {TIME_ZONE}: {e}")))?;
        Ok(Clock {
            today,
            start: today - HISTORY_DAYS * DAY,
            hours: BusinessHours::standard(zone.clone()),
            zone,
        })
    }

    fn zoned(&self, at: i64) -> jiff::Zoned {
        Timestamp::from_millisecond(at)
            .expect("demo times stay within the validated years")
            .to_zoned(self.zone.clone())
    }

    pub(crate) fn date(&self, at: i64) -> Date {
        self.zoned(at).date()
    }

    /// `YYYY-MM-DD` in the company's time zone, as the schema stores dates.
    pub(crate) fn day_text(&self, at: i64) -> String {
        self.date(at).to_string()
    }

    /// "March 14".
    fn spoken_day(&self, at: i64) -> String {
        let date = self.date(at);
        format!("{} {}", MONTHS[date.month() as usize - 1], date.day())
    }

    fn month_name(&self, at: i64) -> &'static str {
        MONTHS[self.date(at).month() as usize - 1]
    }

    /// When work received at `received_at` is due under an SLA of `minutes`
    /// in the company's business hours, or on the wall clock.
    pub(crate) fn due(&self, received_at: i64, minutes: i64, business_hours: bool) -> i64 {
        crate::queues::sla_due(received_at, minutes, business_hours, &self.hours)
    }

    /// `minute` minutes after local midnight of `date`.
    pub(crate) fn local(&self, date: Date, minute: i64) -> i64 {
        date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0)
            .to_zoned(self.zone.clone())
            .expect("demo dates stay within the validated years")
            .timestamp()
            .as_millisecond()
    }

    fn plus_days(&self, date: Date, days: i64) -> Date {
        // Noon never falls into a daylight-saving gap.
        self.date(self.local(date, 12 * 60) + days * DAY)
    }

    fn is_weekend(date: Date) -> bool {
        date.weekday().to_monday_zero_offset() >= 5
    }

    /// A moment of office hours on `date`, or on the next working day.
    fn office_moment(&self, rng: &mut Rng, mut date: Date) -> i64 {
        while Clock::is_weekend(date) {
            date = self.plus_days(date, 1);
        }
        self.local(date, rng.between(8 * 60 + 30, 17 * 60 + 30))
    }

    /// A moment of office hours near `at`, never after `today`.
    fn office_near(&self, rng: &mut Rng, at: i64) -> i64 {
        self.office_moment(rng, self.date(at)).min(self.today)
    }

    /// A moment of office hours between `from` and `until`.
    fn office_between(&self, rng: &mut Rng, from: i64, until: i64) -> i64 {
        let at = rng.between(from, until.max(from));
        self.office_moment(rng, self.date(at))
            .clamp(from, until.max(from))
    }

    /// When an inquiry that nobody planned arrives: more often on working
    /// days and in office hours, and more often lately as the business grows.
    fn organic_moment(&self, rng: &mut Rng) -> i64 {
        loop {
            let day = rng.below(HISTORY_DAYS as u64) as i64;
            // The last months bring about 60% more inquiries than the first.
            if rng.unit() * 1.6 > 1.0 + 0.6 * day as f64 / HISTORY_DAYS as f64 {
                continue;
            }
            let date = self.plus_days(self.date(self.start), day);
            if Clock::is_weekend(date) && !rng.chance(0.25) {
                continue;
            }
            let minute = if rng.chance(0.8) {
                rng.between(7 * 60 + 30, 18 * 60 + 30)
            } else {
                rng.between(0, 24 * 60 - 1)
            };
            let at = self.local(date, minute);
            if at > self.start && at < self.today - 30 * MINUTE {
                return at;
            }
        }
    }

    /// The quarter holding `today` and the seven before it, oldest first.
    fn recent_quarters(&self) -> Vec<Quarter> {
        let mut quarter = Quarter::containing(self.date(self.today));
        let mut quarters = vec![quarter];
        for _ in 1..8 {
            quarter = quarter.previous();
            quarters.push(quarter);
        }
        quarters.reverse();
        quarters
    }

    /// Start and end (exclusive) of a quarter.
    pub(crate) fn span(&self, quarter: Quarter) -> (i64, i64) {
        (
            self.local(quarter.first_day(), 0),
            self.local(quarter.next().first_day(), 0),
        )
    }
}

/// `noun`, with an `s` unless there is one.
fn plural(count: i64, noun: &str) -> String {
    if count == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

/// Money as stored: whole hundreds of dollars in cents, for realistic quotes.
pub(crate) fn hundreds_of_dollars(dollars: f64) -> i64 {
    ((dollars / 100.0).round() as i64).max(1) * 100 * 100
}

/// `$12,480.00`.
fn dollars_text(cents: i64) -> String {
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("${grouped}.{:02}", cents % 100)
}

// ---------------------------------------------------------------------------
// Staff, teams and queues
// ---------------------------------------------------------------------------

/// How a person works, which shapes the data behind them.
#[derive(Debug, Clone, Copy)]
struct Persona {
    /// Share of their opportunities they win.
    win_rate: f64,
    /// Share of work items they touch before the first-touch SLA runs out.
    on_time: f64,
    /// Activity they log compared with their peers.
    busyness: f64,
    /// Forecast amounts over what they really expect: above 1 is "smoke".
    forecast_bias: f64,
    /// Activity types of another function they keep doing anyway.
    stray_work: &'static [&'static str],
}

const STEADY: Persona = Persona {
    win_rate: 0.6,
    on_time: 0.9,
    busyness: 1.0,
    forecast_bias: 1.0,
    stray_work: &[],
};

/// (name, function) of each team, in creation order.
const TEAMS: &[(&str, &str)] = &[
    ("Marketing", "marketing"),
    ("Inbound qualification", "qualification"),
    ("New business", "hunting"),
    ("Account management", "farming"),
    ("Customer service", "service"),
    ("Finance and operations", "operations"),
];

/// One person of the demo company.
struct Hire {
    /// The part of the e-mail address before `@`.
    login: &'static str,
    name: &'static str,
    role: Role,
    /// Index into [`TEAMS`].
    team: Option<usize>,
    reports_to: Option<&'static str>,
    persona: Persona,
}

const fn hire(
    login: &'static str,
    name: &'static str,
    role: Role,
    team: usize,
    reports_to: &'static str,
    persona: Persona,
) -> Hire {
    Hire {
        login,
        name,
        role,
        team: Some(team),
        reports_to: Some(reports_to),
        persona,
    }
}

const HIRES: &[Hire] = &[
    Hire {
        login: "owner",
        name: "Helen Marsh",
        role: Role::Owner,
        team: None,
        reports_to: None,
        persona: STEADY,
    },
    hire(
        "manager1",
        "David Okafor",
        Role::Manager,
        2,
        "owner",
        STEADY,
    ),
    hire("manager2", "Priya Raman", Role::Manager, 0, "owner", STEADY),
    hire(
        "marketer1",
        "Sofia Bianchi",
        Role::Marketer,
        0,
        "manager2",
        STEADY,
    ),
    hire(
        "marketer2",
        "Liam Chen",
        Role::Marketer,
        0,
        "manager2",
        STEADY,
    ),
    hire(
        "marketer3",
        "Grace Adeyemi",
        Role::Marketer,
        0,
        "manager2",
        STEADY,
    ),
    hire(
        "qualifier1",
        "Noah Fischer",
        Role::Qualifier,
        1,
        "manager1",
        STEADY,
    ),
    hire(
        "qualifier2",
        "Emma Lindqvist",
        Role::Qualifier,
        1,
        "manager1",
        STEADY,
    ),
    hire(
        "qualifier3",
        "Omar Haddad",
        Role::Qualifier,
        1,
        "manager1",
        STEADY,
    ),
    hire(
        "hunter1",
        "Jake Morrison",
        Role::Hunter,
        2,
        "manager1",
        Persona {
            win_rate: 0.62,
            on_time: 0.92,
            ..STEADY
        },
    ),
    // Keeps solving her customers' billing problems herself.
    hire(
        "hunter2",
        "Aisha Bello",
        Role::Hunter,
        2,
        "manager1",
        Persona {
            win_rate: 0.58,
            stray_work: &["billing_issue", "collections_call"],
            ..STEADY
        },
    ),
    // Forecasts about 40% more than he closes, quarter after quarter.
    hire(
        "hunter3",
        "Tom Kowalski",
        Role::Hunter,
        2,
        "manager1",
        Persona {
            win_rate: 0.45,
            on_time: 0.85,
            forecast_bias: 1.4,
            ..STEADY
        },
    ),
    hire(
        "hunter4",
        "Rachel Stein",
        Role::Hunter,
        2,
        "manager1",
        Persona {
            on_time: 0.96,
            ..STEADY
        },
    ),
    // Busy without results: four times the everyday calls, half the wins.
    hire(
        "hunter5",
        "Carlos Mendez",
        Role::Hunter,
        2,
        "manager1",
        Persona {
            win_rate: 0.3,
            on_time: 0.65,
            busyness: 4.0,
            ..STEADY
        },
    ),
    hire(
        "farmer1",
        "Megan Doyle",
        Role::Farmer,
        3,
        "manager1",
        Persona {
            win_rate: 0.7,
            ..STEADY
        },
    ),
    // Fixes service issues for his accounts instead of passing them on.
    hire(
        "farmer2",
        "Victor Nguyen",
        Role::Farmer,
        3,
        "manager1",
        Persona {
            win_rate: 0.65,
            stray_work: &["service_issue"],
            ..STEADY
        },
    ),
    hire(
        "farmer3",
        "Hannah Berg",
        Role::Farmer,
        3,
        "manager1",
        Persona {
            win_rate: 0.68,
            ..STEADY
        },
    ),
    hire(
        "farmer4",
        "Samuel Ortiz",
        Role::Farmer,
        3,
        "manager1",
        Persona {
            win_rate: 0.62,
            on_time: 0.8,
            ..STEADY
        },
    ),
    hire("service1", "Lucy Park", Role::Service, 4, "owner", STEADY),
    hire("service2", "Ben Walker", Role::Service, 4, "owner", STEADY),
    hire("service3", "Fatima Khan", Role::Service, 4, "owner", STEADY),
    hire(
        "operations1",
        "Oliver Grant",
        Role::Operations,
        5,
        "owner",
        STEADY,
    ),
    hire(
        "operations2",
        "Nina Petrova",
        Role::Operations,
        5,
        "owner",
        STEADY,
    ),
];

/// A person of the demo company as stored.
struct Member {
    id: i64,
    login: &'static str,
    name: &'static str,
    role: Role,
    persona: Persona,
}

impl Member {
    fn email(&self) -> String {
        format!("{}@{DEMO_DOMAIN}", self.login)
    }
}

struct Staff {
    members: Vec<Member>,
}

impl Staff {
    fn member(&self, login: &str) -> &Member {
        self.members
            .iter()
            .find(|m| m.login == login)
            .expect("every login the demo names is in HIRES")
    }

    fn owner(&self) -> i64 {
        self.member("owner").id
    }

    fn get(&self, id: i64) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    fn persona(&self, id: i64) -> Persona {
        self.get(id).map_or(STEADY, |m| m.persona)
    }

    fn with_role(&self, role: Role) -> Vec<&Member> {
        self.members.iter().filter(|m| m.role == role).collect()
    }
}

async fn hire_staff(db: &Db, clock: &Clock, progress: &dyn Fn(&str, u64, u64)) -> Result<Staff> {
    let mut members = Vec::with_capacity(HIRES.len());
    for (done, hire) in HIRES.iter().enumerate() {
        let email = format!("{}@{DEMO_DOMAIN}", hire.login);
        let user = db
            .create_user(NewUser {
                email: &email,
                name: hire.name,
                role: hire.role,
                password: Some(DEMO_PASSWORD),
            })
            .await?;
        members.push(Member {
            id: user.id,
            login: hire.login,
            name: hire.name,
            role: hire.role,
            persona: hire.persona,
        });
        progress("users", done as u64 + 1, HIRES.len() as u64);
    }
    let staff = Staff { members };
    // The company is older than the demo's history; people joined one by one.
    let founded = clock.start - 500 * DAY;
    let mut tx = db.begin_write().await?;
    let mut team_ids = Vec::with_capacity(TEAMS.len());
    for (name, function) in TEAMS {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO teams (name, name_lower, function, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(*name)
        .bind(name.to_lowercase())
        .bind(*function)
        .bind(founded)
        .fetch_one(&mut *tx)
        .await?;
        team_ids.push(id);
    }
    for (n, (hire, member)) in HIRES.iter().zip(&staff.members).enumerate() {
        sqlx::query(
            "UPDATE users SET team_id = $1, manager_id = $2, created_at = $3 WHERE id = $4",
        )
        .bind(hire.team.map(|t| team_ids[t]))
        .bind(hire.reports_to.map(|login| staff.member(login).id))
        .bind(founded + n as i64 * 17 * DAY)
        .bind(member.id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(staff)
}

/// The default queues, which the demo's work flows through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Desk {
    Nurture,
    Qualification,
    Hunters,
    Farmers,
    Service,
    Operations,
}

impl Desk {
    const ALL: [Desk; 6] = [
        Desk::Nurture,
        Desk::Qualification,
        Desk::Hunters,
        Desk::Farmers,
        Desk::Service,
        Desk::Operations,
    ];

    fn slug(self) -> &'static str {
        match self {
            Desk::Nurture => "nurture",
            Desk::Qualification => "qualification",
            Desk::Hunters => "hunters",
            Desk::Farmers => "farmers",
            Desk::Service => "service",
            Desk::Operations => "operations",
        }
    }

    fn staffed_by(self) -> Role {
        match self {
            Desk::Nurture => Role::Marketer,
            Desk::Qualification => Role::Qualifier,
            Desk::Hunters => Role::Hunter,
            Desk::Farmers => Role::Farmer,
            Desk::Service => Role::Service,
            Desk::Operations => Role::Operations,
        }
    }

    fn manager(self) -> &'static str {
        match self {
            Desk::Nurture => "manager2",
            Desk::Qualification | Desk::Hunters | Desk::Farmers => "manager1",
            Desk::Service | Desk::Operations => "owner",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct DeskInfo {
    id: i64,
    first_touch_minutes: i64,
    resolution_minutes: i64,
    business_hours: bool,
}

struct Desks {
    info: BTreeMap<Desk, DeskInfo>,
}

impl Desks {
    async fn load(db: &Db) -> Result<Desks> {
        let queues = db.queues().await?;
        let mut info = BTreeMap::new();
        for desk in Desk::ALL {
            let queue = queues
                .iter()
                .find(|q| q.slug == desk.slug())
                .ok_or_else(|| {
                    DbError::Config(format!(
                        "the default queue `{}` is missing; demo data needs a new data folder",
                        desk.slug()
                    ))
                })?;
            info.insert(
                desk,
                DeskInfo {
                    id: queue.id,
                    first_touch_minutes: queue.first_touch_sla_minutes,
                    resolution_minutes: queue.resolution_sla_minutes,
                    business_hours: queue.business_hours,
                },
            );
        }
        Ok(Desks { info })
    }

    fn info(&self, desk: Desk) -> DeskInfo {
        self.info[&desk]
    }

    fn by_slug(slug: &str) -> Option<Desk> {
        Desk::ALL.into_iter().find(|d| d.slug() == slug)
    }
}

/// (login, queue, capacity cap, skills) of members with settings of their own.
const MEMBER_SETTINGS: &[(&str, Desk, Option<i64>, &[&str])] = &[
    // Part-time: never more than 25 open items.
    ("qualifier3", Desk::Qualification, Some(25), &[]),
    (
        "hunter1",
        Desk::Hunters,
        None,
        &["enterprise", "public sector"],
    ),
    ("hunter4", Desk::Hunters, Some(40), &["enterprise"]),
    ("service1", Desk::Service, None, &["sensors", "mobile app"]),
    ("service2", Desk::Service, Some(20), &[]),
    ("service3", Desk::Service, None, &["single sign-on"]),
];

async fn staff_the_desks(db: &Db, staff: &Staff, desks: &Desks) -> Result<()> {
    let owner = Some(staff.owner());
    for member in &staff.members {
        if let Some(desk) = Desk::ALL
            .into_iter()
            .find(|d| d.staffed_by() == member.role)
        {
            db.add_queue_member(owner, desks.info(desk).id, member.id)
                .await?;
        }
    }
    for (login, desk, capacity, skills) in MEMBER_SETTINGS {
        db.update_queue_member(
            owner,
            desks.info(*desk).id,
            staff.member(login).id,
            &MemberChange {
                capacity: Some(*capacity),
                skills: Some(skills.iter().map(|s| s.to_string()).collect()),
                ..Default::default()
            },
        )
        .await?;
    }
    let mut tx = db.begin_write().await?;
    for desk in Desk::ALL {
        sqlx::query("UPDATE queues SET manager_id = $1 WHERE id = $2")
            .bind(staff.member(desk.manager()).id)
            .bind(desks.info(desk).id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Accounts and contacts
// ---------------------------------------------------------------------------

/// An industry and the words its people use.
pub(crate) struct Industry {
    pub(crate) name: &'static str,
    site: &'static str,
    sites: &'static str,
    equipment: &'static [&'static str],
    /// Second words of invented company names.
    pub(crate) company_words: &'static [&'static str],
}

const MANUFACTURING: usize = 0;
const LOGISTICS: usize = 1;
const HEALTHCARE: usize = 2;
const FOOD: usize = 3;
const ENERGY: usize = 4;
const EDUCATION: usize = 5;
const PUBLIC_SECTOR: usize = 6;
const SOFTWARE: usize = 7;
const FINANCE: usize = 8;
const HOSPITALITY: usize = 9;
const RETAIL: usize = 10;
const REAL_ESTATE: usize = 11;
const CONSTRUCTION: usize = 12;

/// The names match the scoring's target industries where they are one.
pub(crate) const INDUSTRIES: &[Industry] = &[
    Industry {
        name: "Manufacturing",
        site: "plant",
        sites: "plants",
        equipment: &[
            "CNC machines",
            "injection molding presses",
            "packaging lines",
            "air compressors",
        ],
        company_words: &[
            "Fabrication",
            "Machine Works",
            "Components",
            "Plastics",
            "Metal Products",
        ],
    },
    Industry {
        name: "Logistics",
        site: "warehouse",
        sites: "warehouses",
        equipment: &[
            "forklifts",
            "conveyor systems",
            "dock levelers",
            "reefer trailers",
        ],
        company_words: &["Freight", "Logistics", "Distribution", "Transport"],
    },
    Industry {
        name: "Healthcare",
        site: "clinic",
        sites: "clinics",
        equipment: &[
            "HVAC and medical gas systems",
            "sterilizers",
            "backup generators",
            "imaging equipment",
        ],
        company_words: &[
            "Medical Group",
            "Family Clinic",
            "Health Partners",
            "Surgery Center",
        ],
    },
    Industry {
        name: "Food and beverage",
        site: "plant",
        sites: "plants",
        equipment: &[
            "refrigeration units",
            "mixers and ovens",
            "bottling lines",
            "pasteurizers",
        ],
        company_words: &["Foods", "Bakery", "Creamery", "Brewing Company"],
    },
    Industry {
        name: "Energy",
        site: "site",
        sites: "sites",
        equipment: &[
            "pumps and transformers",
            "wind turbine gearboxes",
            "compressor stations",
            "substation breakers",
        ],
        company_words: &["Energy Services", "Solar", "Power Cooperative", "Utilities"],
    },
    Industry {
        name: "Education",
        site: "campus",
        sites: "campuses",
        equipment: &[
            "boilers and HVAC units",
            "kitchen equipment",
            "elevators",
            "school buses",
        ],
        company_words: &[
            "Academy",
            "Community College",
            "Learning Center",
            "Preparatory School",
        ],
    },
    Industry {
        name: "Public sector",
        site: "facility",
        sites: "facilities",
        equipment: &[
            "fleet vehicles",
            "water pumps",
            "street lighting",
            "HVAC units",
        ],
        company_words: &[
            "Township",
            "Water District",
            "Public Works",
            "Transit District",
        ],
    },
    Industry {
        name: "Software",
        site: "office",
        sites: "offices",
        equipment: &[
            "laptops and docking stations",
            "server racks",
            "UPS units",
            "meeting room equipment",
        ],
        company_words: &["Software", "Labs", "Technologies", "Data"],
    },
    Industry {
        name: "Finance",
        site: "branch",
        sites: "branches",
        equipment: &[
            "ATMs",
            "HVAC units",
            "security systems",
            "backup generators",
        ],
        company_words: &["Credit Union", "Bank", "Capital", "Insurance Agency"],
    },
    Industry {
        name: "Hospitality",
        site: "hotel",
        sites: "hotels",
        equipment: &[
            "HVAC units and elevators",
            "kitchen equipment",
            "pool pumps",
            "laundry machines",
        ],
        company_words: &["Hotel", "Inn & Suites", "Resort", "Conference Center"],
    },
    Industry {
        name: "Retail",
        site: "store",
        sites: "stores",
        equipment: &[
            "refrigerated cases",
            "HVAC units",
            "forklifts",
            "checkout equipment",
        ],
        company_words: &["Markets", "Outfitters", "Home Center", "Supply"],
    },
    Industry {
        name: "Real estate",
        site: "building",
        sites: "buildings",
        equipment: &[
            "HVAC units and elevators",
            "boilers",
            "fire pumps",
            "parking gates",
        ],
        company_words: &["Property Management", "Realty", "Apartments", "Properties"],
    },
    Industry {
        name: "Construction",
        site: "yard",
        sites: "yards",
        equipment: &[
            "excavators and loaders",
            "generators",
            "tower cranes",
            "service trucks",
        ],
        company_words: &["Builders", "Contracting", "Mechanical", "Construction"],
    },
];

/// (name, domain, employees) of the companies the demo company knows, by
/// industry.
const COMPANIES: &[(usize, &[(&str, &str, u32)])] = &[
    (
        MANUFACTURING,
        &[
            (
                "Northfield Precision Components Inc.",
                "northfieldprecision.example",
                640,
            ),
            ("Ridgeway Plastics", "ridgewayplastics.example", 210),
            ("Calder Steelworks", "caldersteel.example", 1450),
            (
                "Brightwater Packaging Co.",
                "brightwaterpackaging.example",
                380,
            ),
            ("Sable Creek Fabrication", "sablecreekfab.example", 95),
            ("Ironvale Castings", "ironvalecastings.example", 520),
            ("Meridian Gear & Drive", "meridiangear.example", 300),
            ("Lakeshore Extrusion LLC", "lakeshoreextrusion.example", 160),
            (
                "Ashgrove Industrial Coatings",
                "ashgrovecoatings.example",
                75,
            ),
            ("Tern Valley Machining", "ternvalley.example", 48),
            ("Hollis & Crane Manufacturing", "holliscrane.example", 2300),
            ("Quarry Hill Composites", "quarryhill.example", 130),
            ("Pioneer Valve Works", "pioneervalve.example", 410),
            (
                "Stonebridge Electric Motors",
                "stonebridgemotors.example",
                870,
            ),
            ("Wexford Printing Solutions", "wexfordprinting.example", 220),
            ("Copperline Wire & Cable", "copperlinewire.example", 1100),
            ("Amberfield Glass", "amberfieldglass.example", 340),
            ("Redfern Automotive Trim", "redfernauto.example", 1900),
            ("Glenmoor Tooling", "glenmoortooling.example", 60),
            ("Vantage Pumps Corp.", "vantagepumps.example", 780),
        ],
    ),
    (
        LOGISTICS,
        &[
            ("Harborline Freight", "harborlinefreight.example", 950),
            (
                "Crossdock Distribution Partners",
                "crossdockdp.example",
                430,
            ),
            ("Prairie Cold Storage", "prairiecold.example", 260),
            ("Bluewater Port Services", "bluewaterport.example", 610),
            ("Keystone Fleet Leasing", "keystonefleet.example", 180),
            ("Summit Regional Carriers", "summitcarriers.example", 1200),
            ("Tidewater Warehousing", "tidewaterwarehousing.example", 340),
            ("Midland Parcel Network", "midlandparcel.example", 2600),
            ("Northstar Intermodal", "northstarintermodal.example", 720),
            ("Granary Road Logistics", "granaryroad.example", 90),
            ("Riverbend Moving & Storage", "riverbendmoving.example", 140),
            ("Eastgate Fulfillment", "eastgatefulfillment.example", 510),
            ("Cardinal Rail Services", "cardinalrail.example", 880),
            ("Foxhollow Trucking", "foxhollowtrucking.example", 65),
        ],
    ),
    (
        HEALTHCARE,
        &[
            ("St. Brigid Regional Health", "stbrigidhealth.example", 4200),
            (
                "Lakeview Orthopedic Clinics",
                "lakevieworthopedic.example",
                380,
            ),
            (
                "Cedar Valley Medical Center",
                "cedarvalleymedical.example",
                1600,
            ),
            ("Maplecrest Senior Living", "maplecrest.example", 720),
            (
                "Riverside Dialysis Partners",
                "riversidedialysis.example",
                450,
            ),
            ("Northpoint Imaging", "northpointimaging.example", 160),
            ("Westbrook Family Health", "westbrookhealth.example", 230),
            ("Harmon County Hospital", "harmonhospital.example", 900),
            ("Clearwater Dental Group", "clearwaterdental.example", 120),
            ("Pinecrest Rehabilitation", "pinecrestrehab.example", 300),
            ("Bayview Surgical Center", "bayviewsurgical.example", 210),
            ("Summit Pediatrics", "summitpediatrics.example", 85),
            ("Evergreen Hospice Care", "evergreenhospice.example", 260),
            ("Trinity Lab Services", "trinitylabs.example", 540),
        ],
    ),
    (
        FOOD,
        &[
            ("Golden Prairie Foods", "goldenprairiefoods.example", 1300),
            ("Millstone Bakery Co.", "millstonebakery.example", 420),
            (
                "Hearthside Dairy Cooperative",
                "hearthsidedairy.example",
                610,
            ),
            ("Blue Heron Brewing", "blueheronbrewing.example", 140),
            ("Orchard Lane Juices", "orchardlane.example", 95),
            ("Cascade Meat Processors", "cascademeat.example", 880),
            (
                "Sweetwater Confections",
                "sweetwaterconfections.example",
                230,
            ),
            ("Red Barn Poultry", "redbarnpoultry.example", 1700),
            ("Riverstone Coffee Roasters", "riverstonecoffee.example", 70),
            ("Kettle Creek Snacks", "kettlecreek.example", 350),
        ],
    ),
    (
        ENERGY,
        &[
            (
                "Tri-County Electric Cooperative",
                "tricountyelectric.example",
                520,
            ),
            ("Westfield Solar Services", "westfieldsolar.example", 180),
            ("Plains Wind Operations", "plainswind.example", 240),
            ("Cobalt Gas Distribution", "cobaltgas.example", 1100),
            (
                "Northern Lights Power Cooperative",
                "northernlightspower.example",
                690,
            ),
            ("Granite State Hydro", "granitehydro.example", 150),
            ("Ember Energy Services", "emberenergy.example", 330),
            ("Summit Pipeline Maintenance", "summitpipeline.example", 410),
            ("Bright Fork Biogas", "brightforkbiogas.example", 60),
        ],
    ),
    (
        EDUCATION,
        &[
            ("Lakeside Community College", "lakesidecc.example", 1400),
            (
                "Ridgemont School District",
                "ridgemontschools.example",
                2200,
            ),
            ("Harrow Technical Institute", "harrowtech.example", 380),
            ("St. Ambrose University", "stambrose.example", 3100),
            ("Cedar Grove Academy", "cedargroveacademy.example", 140),
            ("Westport Unified Schools", "westportunified.example", 1800),
            ("Northern Plains State University", "npsu.example", 5200),
            (
                "Willow Creek Charter Schools",
                "willowcreekcharter.example",
                260,
            ),
        ],
    ),
    (
        PUBLIC_SECTOR,
        &[
            ("City of Brookhaven", "brookhaven-city.example", 1600),
            ("Marlow County Public Works", "marlowcounty.example", 430),
            (
                "Port Ellis Transit Authority",
                "portellistransit.example",
                950,
            ),
            ("Ironwood Municipal Water", "ironwoodwater.example", 280),
            ("Town of Ashby Falls", "ashbyfalls.example", 120),
            ("Redstone County Facilities", "redstonecounty.example", 360),
            (
                "Harbor City Parks Department",
                "harborcityparks.example",
                210,
            ),
            (
                "Ellison County Fleet Services",
                "ellisoncounty.example",
                150,
            ),
        ],
    ),
    (
        SOFTWARE,
        &[
            ("Brightpath Analytics", "brightpath.example", 220),
            ("Loomwork Software", "loomwork.example", 140),
            ("Nimbus Ledger", "nimbusledger.example", 380),
            ("Quillstack", "quillstack.example", 60),
            ("Copperfield Data Centers", "copperfielddc.example", 310),
            ("Parallax Labs", "parallaxlabs.example", 90),
            ("Signalgrid Networks", "signalgrid.example", 650),
            ("Tallgrass Cloud Hosting", "tallgrasscloud.example", 170),
            ("Vireo Systems", "vireosystems.example", 45),
            ("Ardent Robotics", "ardentrobotics.example", 260),
        ],
    ),
    (
        FINANCE,
        &[
            ("Prairie State Credit Union", "prairiestatecu.example", 540),
            ("Hawthorne Savings Bank", "hawthornesavings.example", 880),
            ("Ledgerline Insurance Group", "ledgerline.example", 1300),
            ("Fairmont Capital Partners", "fairmontcapital.example", 120),
            ("Oakridge Mutual", "oakridgemutual.example", 2100),
            ("Beacon Street Bank", "beaconstreetbank.example", 360),
            ("Silverleaf Wealth Advisors", "silverleafwealth.example", 75),
            ("Northgate Payments", "northgatepayments.example", 430),
        ],
    ),
    (
        HOSPITALITY,
        &[
            ("Lakeshore Resorts Group", "lakeshoreresorts.example", 1500),
            ("Copper Kettle Hotels", "copperkettlehotels.example", 640),
            ("Evergreen Lodge & Spa", "evergreenlodge.example", 180),
            ("Grand Meridian Hotel", "grandmeridian.example", 420),
            ("Pinehurst Conference Center", "pinehurstcc.example", 130),
            ("Riverwalk Suites", "riverwalksuites.example", 260),
            ("Alpine Crest Resorts", "alpinecrest.example", 900),
        ],
    ),
    (
        RETAIL,
        &[
            ("Hometown Hardware Co-op", "hometownhardware.example", 2400),
            ("Fresh Fields Markets", "freshfieldsmarkets.example", 3100),
            ("Bluebell Garden Centers", "bluebellgarden.example", 420),
            ("Corner Pantry Stores", "cornerpantry.example", 1800),
            ("Outfitters Northwest", "outfittersnw.example", 650),
            ("Tallyho Pet Supply", "tallyhopet.example", 280),
            ("Brightway Pharmacies", "brightwayrx.example", 1200),
        ],
    ),
    (
        REAL_ESTATE,
        &[
            ("Parkline Property Management", "parklinepm.example", 340),
            ("Granite Peak Properties", "granitepeak.example", 210),
            (
                "Lakefront Commercial Realty",
                "lakefrontrealty.example",
                150,
            ),
            ("Metro Tower Management", "metrotower.example", 480),
            ("Oakmont Facilities Group", "oakmontfacilities.example", 720),
            ("Willowbrook Apartments", "willowbrookapts.example", 95),
            ("Crescent Office Parks", "crescentoffice.example", 260),
            ("Sterling Square Partners", "sterlingsquare.example", 130),
        ],
    ),
    (
        CONSTRUCTION,
        &[
            ("Ironclad Builders", "ironcladbuilders.example", 540),
            ("Bedrock Civil Contractors", "bedrockcivil.example", 880),
            ("Hilltop Mechanical", "hilltopmechanical.example", 210),
            ("Northern Crane & Rigging", "northerncrane.example", 160),
            ("Apex Roofing Systems", "apexroofing.example", 120),
            (
                "Redline Electrical Contractors",
                "redlineelectrical.example",
                340,
            ),
        ],
    ),
];

/// (city, area code, state).
pub(crate) const CITIES: &[(&str, &str, &str)] = &[
    ("Chicago", "312", "Illinois"),
    ("Milwaukee", "414", "Wisconsin"),
    ("Indianapolis", "317", "Indiana"),
    ("Columbus", "614", "Ohio"),
    ("Denver", "303", "Colorado"),
    ("Dallas", "214", "Texas"),
    ("Atlanta", "404", "Georgia"),
    ("Minneapolis", "612", "Minnesota"),
    ("St. Louis", "314", "Missouri"),
    ("Kansas City", "816", "Missouri"),
    ("Nashville", "615", "Tennessee"),
    ("Detroit", "313", "Michigan"),
    ("Omaha", "402", "Nebraska"),
    ("Louisville", "502", "Kentucky"),
    ("Pittsburgh", "412", "Pennsylvania"),
    ("Charlotte", "704", "North Carolina"),
    ("Phoenix", "602", "Arizona"),
    ("Tulsa", "918", "Oklahoma"),
    ("Des Moines", "515", "Iowa"),
    ("Grand Rapids", "616", "Michigan"),
];

pub(crate) const FIRST_NAMES: &[&str] = &[
    "James",
    "Maria",
    "Robert",
    "Linda",
    "Michael",
    "Patricia",
    "Daniel",
    "Jennifer",
    "Kevin",
    "Susan",
    "Brian",
    "Jessica",
    "Jason",
    "Sarah",
    "Matthew",
    "Karen",
    "Anthony",
    "Nancy",
    "Mark",
    "Lisa",
    "Steven",
    "Angela",
    "Paul",
    "Michelle",
    "Andrew",
    "Laura",
    "Joshua",
    "Kimberly",
    "Ryan",
    "Amanda",
    "Eric",
    "Melissa",
    "Jacob",
    "Stephanie",
    "Nicholas",
    "Rebecca",
    "Tyler",
    "Juan",
    "Ana",
    "Luis",
    "Carmen",
    "Wei",
    "Mei",
    "Hiroshi",
    "Yuki",
    "Arjun",
    "Deepa",
    "Kwame",
    "Amara",
    "Tariq",
    "Leila",
    "Mateo",
    "Ivan",
    "Olga",
    "Sean",
    "Siobhan",
    "Erik",
    "Ingrid",
    "Marcus",
    "Tanya",
    "Derek",
    "Monica",
    "Trevor",
    "Brenda",
    "Gloria",
    "Dmitri",
    "Hana",
    "Kofi",
    "Nadia",
    "Raj",
    "Priyanka",
    "Diego",
    "Claire",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Anderson",
    "Baker",
    "Carter",
    "Diaz",
    "Evans",
    "Foster",
    "Garcia",
    "Harris",
    "Jensen",
    "Kim",
    "Lopez",
    "Miller",
    "Nelson",
    "Olsen",
    "Patel",
    "Quinn",
    "Reyes",
    "Schmidt",
    "Thompson",
    "Underwood",
    "Vasquez",
    "Walsh",
    "Young",
    "Zimmerman",
    "Brooks",
    "Coleman",
    "Dunn",
    "Fleming",
    "Gupta",
    "Hoffman",
    "Ibrahim",
    "Jackson",
    "Keller",
    "Larsen",
    "Mahoney",
    "Novak",
    "O'Connor",
    "Romero",
    "Sullivan",
    "Tanaka",
    "Vogel",
    "Whitfield",
    "Yilmaz",
    "Alvarez",
    "Bauer",
    "Castillo",
    "Duffy",
    "Ellis",
    "Hughes",
    "Jovanovic",
    "Lindgren",
    "Morales",
    "Nakamura",
    "Okoye",
    "Petrov",
    "Rossi",
    "Sato",
    "Torres",
    "Watts",
    "Becker",
    "Chavez",
    "Moreau",
    "Kaur",
    "Mensah",
    "Adler",
    "Brennan",
];

/// What a contact does at their company, which decides what they write about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Duty {
    Executive,
    Maintenance,
    Planning,
    Finance,
    It,
}

impl Duty {
    fn titles(self) -> &'static [&'static str] {
        match self {
            Duty::Executive => &[
                "VP of Operations",
                "Director of Facilities",
                "Head of Maintenance",
                "Chief Operating Officer",
                "Plant Director",
                "Director of Engineering",
            ],
            Duty::Maintenance => &[
                "Maintenance Manager",
                "Facilities Manager",
                "Reliability Engineer",
                "Maintenance Supervisor",
            ],
            Duty::Planning => &[
                "Maintenance Planner",
                "Lead Technician",
                "CMMS Administrator",
            ],
            Duty::Finance => &[
                "Accounts Payable Specialist",
                "Controller",
                "Finance Manager",
            ],
            Duty::It => &["IT Manager", "Systems Administrator"],
        }
    }
}

/// A contact created with its account, before any inquiry.
#[derive(Debug, Clone)]
struct Contact {
    id: i64,
    first: String,
    last: String,
    email: String,
    phone: String,
    title: &'static str,
    duty: Duty,
}

/// A company as the demo keeps track of it.
#[derive(Debug, Clone)]
struct Account {
    id: i64,
    name: String,
    domain: Option<String>,
    industry: usize,
    employees: u32,
    city: usize,
    status: AccountStatus,
    owner: i64,
    /// Buys only at a discount and needs a lot of service.
    deal_seeker: bool,
    contacts: Vec<Contact>,
}

/// Every account the demo knows, with the statuses they have now.
struct Book {
    accounts: Vec<Account>,
    by_id: BTreeMap<i64, usize>,
}

impl Book {
    /// The index of one account matching `keep`, each as likely as `weight`.
    fn pick(
        &self,
        rng: &mut Rng,
        keep: impl Fn(&Account) -> bool,
        weight: impl Fn(&Account) -> u32,
    ) -> Option<usize> {
        let choices: Vec<(usize, u32)> = self
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| keep(a))
            .map(|(i, a)| (i, weight(a).max(1)))
            .collect();
        (!choices.is_empty()).then(|| rng.weighted(&choices))
    }
}

fn tier_for(employees: u32, rng: &mut Rng) -> Tier {
    match employees {
        1000.. => Tier::A,
        600..=999 if rng.chance(0.3) => Tier::A,
        200..=999 => Tier::B,
        _ if rng.chance(0.1) => Tier::B,
        _ => Tier::C,
    }
}

/// `+1 312 555 0147`: the 555-01xx numbers are reserved for fiction.
fn phone_number(rng: &mut Rng, city: usize) -> String {
    format!("+1 {} 555 01{:02}", CITIES[city].1, rng.below(100))
}

/// An e-mail local part from a name: lowercase letters only.
fn mailbox_word(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A person's address at a company domain; each company has its own style.
fn work_address(first: &str, last: &str, domain: &str) -> String {
    let (first, last) = (mailbox_word(first), mailbox_word(last));
    let style = domain.bytes().map(u32::from).sum::<u32>() % 3;
    match style {
        0 => format!("{first}.{last}@{domain}"),
        1 => format!("{}{last}@{domain}", &first[..1]),
        _ => format!("{first}{}@{domain}", &last[..1]),
    }
}

async fn open_accounts(
    db: &Db,
    clock: &Clock,
    staff: &Staff,
    seed: u64,
    progress: &dyn Fn(&str, u64, u64),
) -> Result<Book> {
    let mut rng = Rng::derive(seed, TAG_ACCOUNTS, 0);
    let hunters = staff.with_role(Role::Hunter);
    let farmers = staff.with_role(Role::Farmer);
    // Which companies were customers when the history starts is the seed's
    // choice: 30% customers, 30% prospects, the rest suspects.
    let companies: Vec<(&str, &str, usize, u32)> = COMPANIES
        .iter()
        .flat_map(|(industry, list)| {
            list.iter()
                .map(|(name, domain, employees)| (*name, *domain, *industry, *employees))
        })
        .collect();
    let mut order: Vec<usize> = (0..companies.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut rank = vec![0; companies.len()];
    for (position, company) in order.into_iter().enumerate() {
        rank[company] = position;
    }
    let total = companies.len() as u64;
    let mut accounts = Vec::with_capacity(companies.len());
    let mut created = Vec::with_capacity(companies.len());
    for (n, (name, domain, industry, employees)) in companies.iter().enumerate() {
        let share = rank[n] * 100 / companies.len();
        let status = match share {
            0..=29 => AccountStatus::Customer,
            30..=59 => AccountStatus::Prospect,
            _ => AccountStatus::Suspect,
        };
        let owner = match status {
            AccountStatus::Customer => farmers[n % farmers.len()].id,
            _ => hunters[n % hunters.len()].id,
        };
        let tier = tier_for(*employees, &mut rng);
        let stored = db
            .create_account(
                Some(staff.owner()),
                &NewAccount {
                    name: name.to_string(),
                    domains: vec![domain.to_string()],
                    status: Some(status),
                    tier: Some(tier),
                    industry: Some(INDUSTRIES[*industry].name.to_string()),
                    employees: Some(i64::from(*employees)),
                    owner_id: Some(owner),
                },
            )
            .await?;
        let since = match status {
            AccountStatus::Customer => rng.between(90, 1400),
            AccountStatus::Prospect => rng.between(20, 500),
            AccountStatus::Suspect => rng.between(5, 300),
        };
        created.push(clock.start - since * DAY);
        accounts.push(Account {
            id: stored.id,
            name: name.to_string(),
            domain: Some(domain.to_string()),
            industry: *industry,
            employees: *employees,
            city: rng.below(CITIES.len() as u64) as usize,
            status,
            owner,
            deal_seeker: status == AccountStatus::Customer && rng.chance(0.15),
            contacts: Vec::new(),
        });
        progress("accounts", n as u64 + 1, total);
    }

    let mut used = BTreeSet::new();
    let mut tx = db.begin_write().await?;
    for (account, since) in accounts.iter_mut().zip(created) {
        sqlx::query("UPDATE accounts SET created_at = $1, updated_at = $1 WHERE id = $2")
            .bind(since)
            .bind(account.id)
            .execute(&mut *tx)
            .await?;
        let duties: &[Duty] = match account.status {
            AccountStatus::Customer => &[
                Duty::Executive,
                Duty::Maintenance,
                Duty::Planning,
                Duty::Finance,
                Duty::It,
            ],
            AccountStatus::Prospect => &[Duty::Executive, Duty::Maintenance],
            AccountStatus::Suspect => &[Duty::Maintenance],
        };
        let domain = account.domain.clone().unwrap_or_default();
        for duty in duties {
            let first = rng.pick(FIRST_NAMES).to_string();
            let last = rng.pick(LAST_NAMES).to_string();
            let email = work_address(&first, &last, &domain);
            if !used.insert(email.clone()) {
                continue;
            }
            let title = rng.pick(duty.titles());
            let phone = phone_number(&mut rng, account.city);
            let stored_phone = Phone::parse(&phone)
                .map_err(|e| DbError::invalid("phone", e))?
                .as_str()
                .to_string();
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO contacts (account_id, name, email, email_lower, phone, title, decision_maker,
                     created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(account.id)
            .bind(format!("{first} {last}"))
            .bind(&email)
            .bind(&email)
            .bind(stored_phone)
            .bind(title)
            .bind(i64::from(*duty == Duty::Executive))
            .bind(since + rng.between(0, 60) * DAY)
            .fetch_one(&mut *tx)
            .await?;
            account.contacts.push(Contact {
                id,
                first,
                last,
                email,
                phone,
                title,
                duty: *duty,
            });
        }
    }
    tx.commit().await?;
    let by_id = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id, i))
        .collect();
    Ok(Book { accounts, by_id })
}

// ---------------------------------------------------------------------------
// Campaigns
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    Prospects,
    Customers,
}

/// A campaign, `day` days into the history, lasting `days`.
struct CampaignPlan {
    day: i64,
    days: i64,
    channel: &'static str,
    /// `{season}`, `{month}` and `{year}` are those of its start.
    name: &'static str,
    cost_dollars: i64,
    /// Its share of the inquiries campaigns bring.
    pull: u32,
    audience: Audience,
}

const CAMPAIGN_PLANS: &[CampaignPlan] = &[
    CampaignPlan {
        day: 0,
        days: HISTORY_DAYS,
        channel: "paid_search",
        name: "Paid search – maintenance software (always on)",
        cost_dollars: 96_000,
        pull: 6,
        audience: Audience::Prospects,
    },
    CampaignPlan {
        day: 100,
        days: 56,
        channel: "webinar",
        name: "Downtime Detectives webinar series, {season} {year}",
        cost_dollars: 9_500,
        pull: 3,
        audience: Audience::Prospects,
    },
    CampaignPlan {
        day: 165,
        days: 3,
        channel: "trade_show",
        name: "Midwest Plant Maintenance Expo, {month} {year}",
        cost_dollars: 42_000,
        pull: 3,
        audience: Audience::Prospects,
    },
    CampaignPlan {
        day: 250,
        days: 90,
        channel: "content",
        name: "Reliability Benchmark Report {year}",
        cost_dollars: 12_000,
        pull: 3,
        audience: Audience::Prospects,
    },
    CampaignPlan {
        day: 340,
        days: 120,
        channel: "linkedin",
        name: "LinkedIn ads for facilities directors, {season} {year}",
        cost_dollars: 27_500,
        pull: 4,
        audience: Audience::Prospects,
    },
    CampaignPlan {
        day: 430,
        days: 60,
        channel: "email",
        name: "Customer expansion e-mails, {season} {year}",
        cost_dollars: 3_000,
        pull: 2,
        audience: Audience::Customers,
    },
    // A year after the first one, so the two names differ.
    CampaignPlan {
        day: 530,
        days: 3,
        channel: "trade_show",
        name: "Midwest Plant Maintenance Expo, {month} {year}",
        cost_dollars: 45_000,
        pull: 3,
        audience: Audience::Prospects,
    },
    CampaignPlan {
        day: 610,
        days: 56,
        channel: "webinar",
        name: "Downtime Detectives webinar series, {season} {year}",
        cost_dollars: 11_000,
        pull: 3,
        audience: Audience::Prospects,
    },
];

/// A stored campaign and when its inquiries arrive.
struct Campaign {
    id: i64,
    name: String,
    channel: &'static str,
    audience: Audience,
    starts: i64,
    ends: i64,
    /// Trade-show leads arrive as an import a few days after the show.
    arrivals: (i64, i64),
    pull: u32,
}

fn season(month: i8) -> &'static str {
    match month {
        3..=5 => "spring",
        6..=8 => "summer",
        9..=11 => "fall",
        _ => "winter",
    }
}

async fn launch_campaigns(db: &Db, clock: &Clock) -> Result<Vec<Campaign>> {
    let first_day = clock.date(clock.start);
    let mut campaigns = Vec::with_capacity(CAMPAIGN_PLANS.len());
    let mut tx = db.begin_write().await?;
    for plan in CAMPAIGN_PLANS {
        let start_day = clock.plus_days(first_day, plan.day);
        let starts = clock.local(start_day, 0);
        let ends = clock.local(clock.plus_days(start_day, plan.days), 0) - 1;
        let name = fill(
            plan.name,
            &[
                ("season", season(start_day.month()).to_string()),
                ("month", MONTHS[start_day.month() as usize - 1].to_string()),
                ("year", start_day.year().to_string()),
            ],
        );
        let always_on = plan.days >= HISTORY_DAYS;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO campaigns (name, name_lower, channel, cost_minor, currency, starts_on, ends_on, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&name)
        .bind(name.to_lowercase())
        .bind(plan.channel)
        .bind(plan.cost_dollars * 100)
        .bind(CURRENCY)
        .bind(clock.day_text(starts))
        .bind((!always_on).then(|| clock.day_text(ends)))
        .bind(starts - 21 * DAY)
        .fetch_one(&mut *tx)
        .await?;
        let arrivals = if plan.channel == "trade_show" {
            (ends + 2 * DAY, ends + 6 * DAY)
        } else {
            (starts, ends)
        };
        campaigns.push(Campaign {
            id,
            name,
            channel: plan.channel,
            audience: plan.audience,
            starts,
            ends,
            arrivals: (
                arrivals.0.max(clock.start),
                arrivals.1.min(clock.today - HOUR),
            ),
            pull: plan.pull,
        });
    }
    tx.commit().await?;
    Ok(campaigns)
}

// ---------------------------------------------------------------------------
// Inquiries: when they arrive, who writes them and what they say
// ---------------------------------------------------------------------------

/// When an inquiry arrives, and the campaign that brought it.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    at: i64,
    campaign: Option<usize>,
}

/// Share of inquiries, in percent, that campaigns bring.
const CAMPAIGN_SHARE: u64 = 18;

fn plan_arrivals(clock: &Clock, campaigns: &[Campaign], count: u64, seed: u64) -> Vec<Arrival> {
    let mut rng = Rng::derive(seed, TAG_ARRIVALS, 0);
    let live: Vec<(usize, u32)> = campaigns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.arrivals.0 < c.arrivals.1)
        .map(|(i, c)| (i, c.pull))
        .collect();
    let from_campaigns = if live.is_empty() {
        0
    } else {
        count * CAMPAIGN_SHARE / 100
    };
    let mut arrivals: Vec<Arrival> = (0..count)
        .map(|n| {
            if n < from_campaigns {
                let index = rng.weighted(&live);
                let (from, until) = campaigns[index].arrivals;
                Arrival {
                    at: clock.office_between(&mut rng, from, until),
                    campaign: Some(index),
                }
            } else {
                Arrival {
                    at: clock.organic_moment(&mut rng),
                    campaign: None,
                }
            }
        })
        .collect();
    arrivals.sort_by_key(|a| a.at);
    arrivals
}

/// What an inquiry is really about, whatever triage makes of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NewBusiness,
    Rfp,
    CustomerRequest,
    Support,
    Billing,
    Collections,
    Partner,
    JobSeeker,
    VendorPitch,
    Spam,
}

/// The mix of inquiries nobody planned for.
const KIND_WEIGHTS: &[(Kind, u32)] = &[
    (Kind::NewBusiness, 40),
    (Kind::Rfp, 5),
    (Kind::CustomerRequest, 10),
    (Kind::Support, 15),
    (Kind::Billing, 8),
    (Kind::Collections, 4),
    (Kind::Partner, 3),
    (Kind::JobSeeker, 3),
    (Kind::VendorPitch, 3),
    (Kind::Spam, 9),
];

/// A company behind an inquiry, which may not be an account yet.
#[derive(Debug, Clone)]
struct Company {
    name: String,
    domain: Option<String>,
    industry: usize,
    employees: u32,
    city: usize,
}

impl Company {
    fn of(account: &Account) -> Company {
        Company {
            name: account.name.clone(),
            domain: account.domain.clone(),
            industry: account.industry,
            employees: account.employees,
            city: account.city,
        }
    }
}

/// The person writing an inquiry.
struct Author {
    first: String,
    last: String,
    email: String,
    phone: Option<String>,
    title: Option<String>,
    company: Option<Company>,
}

/// A raw inquiry ready to be stored, and what the demo knows about it.
#[derive(Debug, Clone)]
struct Draft {
    at: i64,
    channel: Channel,
    origin: String,
    raw: Vec<u8>,
    idempotency_key: Option<String>,
    content_hash: String,
    kind: Kind,
    /// The sender's company when it is not an account yet.
    company: Option<Company>,
    /// How good a prospect the sender really is (see [`fit`]).
    fit: f64,
}

/// How good a prospect a sender really is, around 1: a large company, a
/// decision maker, a company address and many pages read raise it.
/// Qualifiers pass leads in proportion, so the conversion model has
/// something to learn from what an inquiry shows of these.
fn fit(author: &Author, pages_viewed: i64) -> f64 {
    let employees = author.company.as_ref().map_or(0, |c| c.employees);
    let size = match employees {
        0..50 => -0.3,
        50..200 => 0.0,
        200..1000 => 0.25,
        _ => 0.4,
    };
    let decides = author
        .title
        .as_deref()
        .is_some_and(|t| DECISION_MAKER_TITLES.contains(&t));
    let free_mail = FREE_MAIL
        .iter()
        .any(|domain| author.email.ends_with(&format!("@{domain}")));
    let value: f64 = 1.0
        + size
        + if decides { 0.25 } else { 0.0 }
        + if free_mail { -0.2 } else { 0.0 }
        + if pages_viewed >= 5 { 0.15 } else { 0.0 };
    value.clamp(0.3, 1.8)
}

/// First words of invented company names; also town names.
const PLACE_WORDS: &[&str] = &[
    "Ashford",
    "Birchwood",
    "Canyon Ridge",
    "Dover",
    "Elmhurst",
    "Fairview",
    "Glenwood",
    "Hillcrest",
    "Juniper",
    "Kingsley",
    "Linden",
    "Maple Grove",
    "Northbrook",
    "Oak Hollow",
    "Pine Ridge",
    "Quincy",
    "Rosewood",
    "Stillwater",
    "Twin Rivers",
    "Upland",
    "Bridgeport",
    "Clearview",
    "Deer Creek",
    "Eagle Point",
    "Foxridge",
    "Greystone",
    "Hawthorn",
    "Ironbridge",
    "Lakemont",
    "Silver Lake",
];

/// Organisations that publish requests for proposal: (name, industry).
const TENDERING_BODIES: &[(&str, usize)] = &[
    ("City of {town}", PUBLIC_SECTOR),
    ("{town} County", PUBLIC_SECTOR),
    ("{town} Regional Medical Center", HEALTHCARE),
    ("{town} School District", EDUCATION),
    ("{town} Water Authority", PUBLIC_SECTOR),
    ("{town} Transit Authority", PUBLIC_SECTOR),
];

const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "hotmail.com",
    "icloud.com",
];

const DISPOSABLE_MAIL: &[&str] = &[
    "mailinator.com",
    "yopmail.com",
    "guerrillamail.com",
    "sharklasers.com",
    "trashmail.com",
    "10minutemail.com",
];

const SPAM_SITES: &[&str] = &[
    "rankboost-pro.biz",
    "trafficsurge.biz",
    "listing-claim.top",
    "licence-outlet.biz",
    "cryptoyield.xyz",
    "seo-fixers.biz",
    "leadsgalore.top",
];

const SPAM_NAMES: &[&str] = &[
    "Jessica Miller",
    "Mark Stevens",
    "Anna Smith",
    "David Brown",
    "Kelly Johnson",
    "Alex Carter",
    "Web Solutions Team",
    "SEO Experts",
];

const SPAM_MAILBOXES: &[&str] = &[
    "seo.growth",
    "marketing.pro",
    "bizoffers",
    "webexpert",
    "promo.team",
    "fastrank",
    "leads4you",
];

const DECISION_MAKER_TITLES: &[&str] = &[
    "Owner",
    "President",
    "Operations Director",
    "VP of Operations",
    "Head of Facilities",
    "Founder",
];
const MANAGER_TITLES: &[&str] = &[
    "Maintenance Manager",
    "Facilities Manager",
    "Operations Manager",
    "Plant Manager",
    "Office Manager",
];
const STAFF_TITLES: &[&str] = &[
    "Maintenance Planner",
    "Reliability Engineer",
    "Facilities Coordinator",
    "Operations Analyst",
    "Maintenance Technician",
    "Purchasing Agent",
];
const PROCUREMENT_TITLES: &[&str] = &[
    "Procurement Officer",
    "Purchasing Manager",
    "Contracts Specialist",
    "Director of Facilities",
    "Procurement Director",
];
const PARTNER_TITLES: &[&str] = &[
    "Managing Director",
    "Partner Manager",
    "Business Development Manager",
    "Founder",
];
const VENDOR_TITLES: &[&str] = &[
    "Account Executive",
    "Marketing Manager",
    "Sales Representative",
];

/// What maintenance teams use before Fieldwise; reads after "in" or "off".
const TOOLS: &[&str] = &[
    "spreadsheets",
    "Excel sheets",
    "an on-premise CMMS from 2009",
    "paper binders",
    "our ERP's maintenance module",
    "a shared Outlook calendar",
    "a homegrown Access database",
];

const ERPS: &[&str] = &[
    "SAP S/4HANA",
    "NetSuite",
    "Microsoft Dynamics 365",
    "Epicor",
    "Oracle Fusion",
    "Infor CloudSuite",
    "Sage X3",
];

const APPROVERS: &[&str] = &["CFO", "plant director", "VP of Operations", "IT director"];

/// (subject, text) of what people write. The texts avoid the keywords of
/// other intents on purpose, so triage mostly agrees with what the writer
/// meant; the vague ones give it nothing to go on.
type Texts = &'static [(&'static str, &'static str)];

const NEW_BUSINESS: Texts = &[
    (
        "Pricing for Fieldwise Maintain",
        "We run {n_sites} {sites} and still plan preventive maintenance in {tool}. Could you send pricing for Fieldwise Maintain for about {n_users} technicians?",
    ),
    (
        "Demo request",
        "I'm looking for a maintenance system our technicians will actually use on their phones. Can we book a demo next week? We have {n_users} techs across {n_sites} {sites}.",
    ),
    (
        "Fieldwise Track per site?",
        "We're evaluating asset tracking for our {sites}, roughly {n_assets} tagged assets in total. How much is Fieldwise Track per site, and is there a free trial?",
    ),
    (
        "Sensor pilot",
        "Interested in the Fieldwise sensor kit for vibration monitoring on our {equipment}. What would a pilot on {n_sensors} machines cost?",
    ),
    (
        "Quote for {n_users} seats",
        "We're moving off {tool} by {month}. We'd like a quote for {n_users} seats and a walkthrough of the mobile app before then.",
    ),
    (
        "Demo of Maintain and Insights",
        "Could someone give us a demo of Fieldwise Maintain and Insights? Unplanned downtime on our {equipment} cost us a lot last year and leadership wants better reporting.",
    ),
    (
        "Per user or per site?",
        "Is pricing per user or per site? We would start with {n_sites} {sites} and about {n_users} users, then roll out to the rest of {company}.",
    ),
    (
        "Replacing paper work orders",
        "We are replacing paper work orders at {company}. Please send pricing, and let me know whether you integrate with {erp}.",
    ),
    (
        "CMMS for {company}",
        "I manage facilities for {company} ({n_sites} {sites}) and I'm looking for a CMMS with good reporting. Can we see a demo of Fieldwise?",
    ),
    (
        "Budget approved",
        "We have budget approved to buy a maintenance platform this quarter. Can you share pricing for {n_users} licenses and the typical rollout time for {n_sites} {sites}?",
    ),
    (
        "Trial account",
        "A colleague at another {site} recommended Fieldwise. We'd like to evaluate it against two other tools; could you set up a trial account for our team?",
    ),
    (
        "Rollout for a company our size",
        "What does a Fieldwise rollout look like for a company our size? We have {n_users} people in maintenance and we keep track of our {equipment} in {tool} today.",
    ),
];

const VAGUE: Texts = &[
    (
        "Please call me",
        "Please call me back about Fieldwise, I have a few questions.",
    ),
    (
        "Contact request",
        "Can someone from your sales team contact me? Mornings are best.",
    ),
    (
        "Question",
        "What exactly does Fieldwise do for a company like ours?",
    ),
    (
        "Quick question",
        "Quick question about Fieldwise for our maintenance team. Please call me.",
    ),
];

const NEW_BUSINESS_EXTRAS: &[&str] = &[
    "Today everything lives in {tool}.",
    "Our fiscal year starts in {month}, so timing matters.",
    "Ideally we would go live before {month}.",
    "I'm the main contact, but our {approver} will sign off.",
    "We looked at two other systems last year but never decided.",
    "The best time to reach me is before 10am.",
];

const RFP: Texts = &[
    (
        "RFP: maintenance management system",
        "{company} has issued a request for proposal for a computerized maintenance management system covering {n_sites} {sites}. The submission deadline is {deadline}. Please confirm whether Fieldwise intends to respond.",
    ),
    (
        "RFP documents",
        "Attached is our RFP for asset tracking and preventive maintenance software. Written questions are due by {question_deadline}; proposals by {deadline}.",
    ),
    (
        "Tender: CMMS replacement",
        "We are running a formal tender to replace {tool}. Our procurement team would like to add Fieldwise to the list of invited suppliers. Who should receive the documents?",
    ),
    (
        "RFQ: condition-monitoring sensors",
        "{company} procurement is issuing an RFQ for {n_sensors} condition-monitoring sensors with software and three years of service. The proposal deadline is {deadline}.",
    ),
    (
        "Notice of request for proposal",
        "Notice of request for proposal: maintenance and work order management for our {sites}. A pre-bid meeting is scheduled for {question_deadline}; the submission deadline is {deadline}.",
    ),
];

const RFP_EXTRAS: &[&str] = &[
    "Mobile usability counts for 30% of the evaluation.",
    "References from two organisations of similar size are required.",
    "The contract term is three years with two optional renewals.",
];

const CUSTOMER_REQUESTS: Texts = &[
    (
        "New {site} in {city}",
        "We're opening a new {site} in {city} in {month}. Can you add it to our Fieldwise account and send a quote for {n_users} more seats?",
    ),
    (
        "Renewal and Insights",
        "Our renewal comes up in {month}. Could we talk about moving to the Insights tier at the same time?",
    ),
    (
        "Onboarding for new technicians",
        "We've hired {n_users} new technicians this quarter. Could you run an onboarding session for them on site?",
    ),
    (
        "SOC 2 report",
        "Our IT security team needs your latest SOC 2 report for the annual review. Can you send it over?",
    ),
    (
        "Connecting Fieldwise to {erp}",
        "We'd like to connect Fieldwise to {erp}. Is API access included in our plan or is it an add-on?",
    ),
    (
        "Track for our other {sites}",
        "The team at our {city} {site} loves the mobile app. We'd like a quote to roll Fieldwise Track out to the remaining {n_sites} {sites}.",
    ),
    (
        "Business review",
        "Could we schedule a business review? I'd like to show our leadership the downtime numbers from the last two quarters.",
    ),
    (
        "Sensor gateways",
        "We are adding sensors to our {equipment}. Can your team recommend how many gateways we need per {site}?",
    ),
    (
        "New administrator",
        "Please add {colleague} as an administrator on our account; she takes over from me as maintenance manager next month.",
    ),
    (
        "Multi-year agreement",
        "Do you offer a multi-year agreement? We'd like to lock in the current price before our budget cycle in {month}.",
    ),
];

const SUPPORT: Texts = &[
    (
        "Sync failed on the mobile app",
        "Since this morning the mobile app shows \"Sync failed\" for every technician at our {city} {site}. Work orders created offline are not uploading, so it's not working for the whole shift.",
    ),
    (
        "SSO login error",
        "We cannot log in with single sign-on anymore. Users get an error saying the SAML response is invalid since our IT team renewed the certificate.",
    ),
    (
        "Work orders not generated",
        "The preventive maintenance schedule for our {equipment} stopped working after we edited the template: no work orders were generated this week.",
    ),
    (
        "Sensors offline",
        "Three sensors on our {equipment} show offline although they have power and the batteries read 80%. Is this a known issue?",
    ),
    (
        "Asset history export",
        "The asset history export is broken. It times out for any range longer than 30 days, and our auditors need a full year.",
    ),
    (
        "Password reset",
        "Please reset my password, the reset e-mail never arrives. I checked the spam folder too.",
    ),
    (
        "Android app crashes",
        "Barcode scanning crashes the Android app on our handhelds since the last update. Scanning is not working at all on the night shift.",
    ),
    (
        "Downtime dashboard shows zero",
        "The downtime dashboard in Insights shows zero hours for last month, which is wrong. Looks like a bug in the calculation for our {site} in {city}.",
    ),
    (
        "Push notifications",
        "Push notifications for urgent work orders are not working on iPhones. Our night shift missed two breakdowns because of it.",
    ),
    (
        "Error 502",
        "Getting error 502 when we open the parts inventory page. It has been like this for about an hour.",
    ),
];

const BILLING: Texts = &[
    (
        "Invoice {invoice} correction",
        "Invoice {invoice} charges us for {n_sites} sites, but we closed our {city} {site} in {month}. Could you correct it and issue a credit note?",
    ),
    (
        "Charged twice",
        "We were billed twice this month: two charges of {amount} on our corporate credit card. Please refund one of them.",
    ),
    (
        "Payment method update",
        "Please update the payment method on our account. The company card ending in {card} expires at the end of the month.",
    ),
    (
        "Invoice {invoice} with our new VAT number",
        "Our accounts payable team needs invoice {invoice} re-issued with our new VAT number and purchase order {po}.",
    ),
    (
        "Receipts for this year",
        "Could you send a receipt for each payment made this year? Our auditors are asking for them.",
    ),
    (
        "Annual billing",
        "We'd like to move from monthly to annual billing. Is there a discount for paying upfront?",
    ),
    (
        "Amount on invoice {invoice}",
        "The amount on invoice {invoice} ({amount}) doesn't match the quote we signed. Can someone from billing explain the difference?",
    ),
];

const COLLECTIONS: Texts = &[
    (
        "Final notice for invoice {invoice}",
        "We received a final notice for invoice {invoice}. Payment was delayed by our ERP migration; it is no longer overdue once it goes out on {date}.",
    ),
    (
        "Past due balance",
        "Our account shows an outstanding balance of {amount} that is past due. Can we set up a payment plan over three months?",
    ),
    (
        "Late payment on {invoice}",
        "Sorry for the late payment on invoice {invoice}; the purchase order was stuck in approval. Please don't suspend our users, the past due amount is being paid this week.",
    ),
    (
        "Overdue notice",
        "About the overdue notice: we disputed part of invoice {invoice} in {month}. Can someone from collections call me before this goes further?",
    ),
    (
        "Payment already sent",
        "Your reminder says {amount} is unpaid, but we paid by wire on {date}, reference {po}. Please check and confirm the account is not past due.",
    ),
];

const PARTNERS: Texts = &[
    (
        "Reseller agreement",
        "We're a systems integrator in {region} implementing maintenance solutions for food and beverage plants. We'd like to talk about a reseller agreement with Fieldwise.",
    ),
    (
        "Technology partnership",
        "We build industrial IoT gateways and see a good fit with Fieldwise Sensors. Would you be open to a technology partnership and a joint webinar?",
    ),
    (
        "Referral program",
        "Our consultancy helps hospitals with facilities compliance. Do you have a referral or reseller program we could join?",
    ),
];

const JOB_SEEKERS: Texts = &[
    (
        "Job opportunities",
        "I'm a maintenance planner with {years} years of experience and would love to join Fieldwise. Are there any open job opportunities? My resume is attached.",
    ),
    (
        "Internship",
        "Hello, I'm finishing my mechanical engineering degree and looking for an internship in customer success. I've attached my CV.",
    ),
    (
        "Customer Success Manager position",
        "Is the Customer Success Manager position in Chicago still open? I applied on LinkedIn last week and wanted to follow up. Career changer from field service.",
    ),
    (
        "Application: implementation consultant",
        "I'd like to apply for a job as an implementation consultant. I've rolled out two CMMS systems at my current employer.",
    ),
];

const VENDOR_PITCHES: Texts = &[
    (
        "Asset labels",
        "We are a vendor of durable asset labels and QR tags and offer 20% off for new clients. Can I send you a catalogue?",
    ),
    (
        "Guest post",
        "Would you accept a guest post for your blog about predictive maintenance? We can also offer backlinks from our industry portal.",
    ),
    (
        "Trade fair sponsorship",
        "Our agency sells sponsorship packages at regional maintenance trade fairs. Would Fieldwise like to exhibit next spring?",
    ),
    (
        "Development team",
        "We provide offshore development teams at competitive rates. Would you be open to a short call about becoming a vendor for Fieldwise?",
    ),
];

const PHONE_NOTES: Texts = &[
    (
        "Phone inquiry",
        "Caller asked for pricing: {n_users} technicians across {n_sites} {sites}, today on {tool}. Wants a demo on {weekday} afternoon.",
    ),
    (
        "Phone inquiry",
        "Inbound call from {company}. Evaluating two other systems, decision by {month}. Asked how much Fieldwise Track costs per site.",
    ),
    (
        "Phone inquiry",
        "Phone inquiry: interested in sensors for their {equipment}. Wants a quote for a pilot of {n_sensors} sensors.",
    ),
    (
        "Phone inquiry",
        "Called after seeing our van at a customer site. Looking for a CMMS for {n_sites} {sites}; please send pricing and book a demo.",
    ),
];

const BOOTH_NOTES: Texts = &[
    (
        "Trade show lead",
        "Badge scan at booth {booth}: interested in Fieldwise Sensors for their {equipment}. Asked for a demo after the show.",
    ),
    (
        "Trade show lead",
        "Stopped by the booth; looking for a replacement for {tool}. {n_users} technicians. Wants pricing.",
    ),
    (
        "Trade show lead",
        "Watched the live demo at the stand. Evaluating maintenance software for {n_sites} {sites}.",
    ),
    (
        "Trade show lead",
        "Badge scan: asked how much Fieldwise Maintain costs for {n_users} users.",
    ),
];

const WEBINAR_NOTES: Texts = &[
    (
        "Webinar attendee",
        "Attended the webinar and asked about tracking downtime on {equipment}. Wants a demo.",
    ),
    (
        "Webinar attendee",
        "Webinar attendee; downloaded the slides and asked for pricing.",
    ),
    (
        "Webinar attendee",
        "Stayed for the whole webinar and asked in the Q&A whether Fieldwise integrates with {erp}.",
    ),
];

const GREETINGS: &[&str] = &[
    "Hi,",
    "Hello,",
    "Hello Fieldwise team,",
    "Good morning,",
    "Hi there,",
];
const SIGN_OFFS: &[&str] = &[
    "Thanks,",
    "Thank you,",
    "Best regards,",
    "Regards,",
    "Many thanks,",
];

const FORWARD_NOTES: &[&str] = &[
    "Came in to my inbox, can qualification pick this up?",
    "FYI, this one wrote to me directly.",
    "Forwarding, not my territory.",
];

const LINK_FLOOD: &[&str] = &[
    "Increase your website traffic by 300% in 30 days! Plans: http://{site}/plans Reviews: http://{site}/reviews Order now: http://{site}/order",
    "Your business qualifies for a free directory listing. Claim it at https://{site}/claim then verify at https://{site}/verify and start at https://{site}/start",
    "Earn 5% a day with our trading bot. Sign up: http://{site}/join Proof: http://{site}/proof Help: http://{site}/help",
    "We found 27 SEO errors on your website. Free audit: http://{site}/audit Prices: http://{site}/prices Examples: http://{site}/cases",
    "Cheap meds online, no prescription needed: viagra, cialis, tramadol. Order: http://{site}/pharmacy Discreet shipping: http://{site}/ship Coupons: http://{site}/coupon",
    "Claim your 200% casino welcome bonus and 100 free spins! Play: http://{site}/casino Slots: http://{site}/slots Jackpot: http://{site}/jackpot",
    "Bitcoin doubler: send 0.1 BTC, get 0.2 BTC back in 24 hours. Wallet: http://{site}/wallet Proof: http://{site}/payouts Join: http://{site}/join",
    "Lonely tonight? Hot singles near you are waiting. Chat: http://{site}/chat Photos: http://{site}/photos Meet: http://{site}/meet",
];

const BOT_MESSAGES: &[&str] = &[
    "Hello dear, I want to buy your product urgently, kindly contact me on WhatsApp.",
    "Good day, we are interested in your products, please send catalogue and price list.",
    "Hi! I love your website design. Who made it? Check mine at http://{site}",
    "Dear Sir/Madam, please find the attached purchase order and confirm shipment.",
];

const SHOUTING: &[&str] = &[
    "BEST PRICES ON SOFTWARE LICENSES FOR ALL BRANDS!!! ORDER TODAY AT HTTP://{site}/DEALS HTTP://{site}/OFFICE HTTP://{site}/WINDOWS",
    "URGENT: YOUR DOMAIN LISTING EXPIRES TODAY. RENEW NOW AT HTTP://{site}/RENEW OR HTTP://{site}/PAY OR HTTP://{site}/NOW",
    "ONLINE PHARMACY: VIAGRA AND CIALIS 80% OFF, NO PRESCRIPTION!!! BUY AT HTTP://{site}/PILLS HTTP://{site}/MEDS HTTP://{site}/SALE",
    "YOU WON THE CASINO JACKPOT!!! CLAIM YOUR PRIZE AND FREE SPINS NOW AT HTTP://{site}/WIN HTTP://{site}/CLAIM HTTP://{site}/NOW",
];

/// Spam with one weak signal at most: it gets past moderation.
const SLIPS_THROUGH: &[&str] = &[
    "Hi, I'm Kelly from a digital agency. We help B2B software companies get more qualified leads from LinkedIn without ads. Could I show you a few results? Portfolio: https://{site}",
    "Hello, we noticed your competitors rank above you for maintenance software. We offer guest post placements and backlinks on industry blogs. Details: https://{site}",
    "Cheap viagra and cialis from our online pharmacy, no prescription needed and discreet delivery. Reply for the price list.",
    "Exclusive casino offer for your team: a 200% welcome bonus and free spins on your first deposit. Write back to claim it.",
    "Hello dear, I am a crypto trader and can double your bitcoin in 7 days, guaranteed profit. Contact me on WhatsApp to start.",
];

/// Spam sent again and again: the repetition gives it away.
const REPEATED: &[&str] = &[
    "Cheap followers and reviews for your business page: http://{site}/followers http://{site}/reviews http://{site}/buy",
    "Get a loan approved in 24 hours, no paperwork: http://{site}/apply http://{site}/rates http://{site}/faq",
    "Best online casino, instant withdrawals, bonus on your first deposit: http://{site}/bonus http://{site}/play http://{site}/vip",
    "Generic viagra and cialis from a licensed online pharmacy, cheapest prices: http://{site}/buy http://{site}/pills http://{site}/deals",
];

/// `template` with each `{key}` replaced by its value from `words`.
fn fill(template: &str, words: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push('{');
            rest = after;
            continue;
        };
        let key = &after[..close];
        match words.iter().find(|(k, _)| *k == key) {
            Some((_, value)) => out.push_str(value),
            None => {
                out.push('{');
                out.push_str(key);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// A head count as web forms ask for it.
fn size_band(employees: u32) -> &'static str {
    match employees {
        0..=10 => "1-10",
        11..=50 => "11-50",
        51..=200 => "51-200",
        201..=500 => "201-500",
        501..=1000 => "501-1,000",
        1001..=5000 => "1,001-5,000",
        _ => "5,000+",
    }
}

fn free_address(rng: &mut Rng, first: &str, last: &str) -> String {
    let (first, last) = (mailbox_word(first), mailbox_word(last));
    let domain = rng.pick(FREE_MAIL);
    match rng.below(4) {
        0 => format!("{first}.{last}{}@{domain}", rng.between(1, 99)),
        1 => format!("{first}{last}@{domain}"),
        2 => format!("{}{last}{}@{domain}", &first[..1], rng.between(60, 99)),
        _ => format!("{last}.{first}@{domain}"),
    }
}

/// An RFC 5322 date, as mail clients write it.
fn mail_date(at: i64) -> String {
    let utc = Timestamp::from_millisecond(at)
        .expect("demo times stay within the validated years")
        .to_zoned(TimeZone::UTC);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        &WEEKDAYS[utc.weekday().to_monday_zero_offset() as usize][..3],
        utc.day(),
        &MONTHS[utc.month() as usize - 1][..3],
        utc.year(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// `application/x-www-form-urlencoded`, as browsers send forms.
fn form_body(pairs: &[(&str, String)]) -> Vec<u8> {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (n, part) in [*key, value.as_str()].into_iter().enumerate() {
            if n == 1 {
                out.push('=');
            }
            for byte in part.bytes() {
                match byte {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                        out.push(byte as char)
                    }
                    b' ' => out.push('+'),
                    _ => out.push_str(&format!("%{byte:02X}")),
                }
            }
        }
    }
    out.into_bytes()
}

/// The fields of an inquiry before they are written in a channel's format.
struct Envelope {
    name: String,
    email: String,
    phone: Option<String>,
    company: Option<String>,
    title: Option<String>,
    message: String,
    source: String,
    campaign: Option<String>,
    fields: Vec<(&'static str, Value)>,
}

impl Envelope {
    /// The JSON an API client, an import or a person at the keyboard sends:
    /// only the fields they have.
    fn json(&self) -> Result<Vec<u8>> {
        let mut object = Map::new();
        let mut put = |key: &str, value: Option<&String>| {
            if let Some(value) = value {
                object.insert(key.to_string(), Value::String(value.clone()));
            }
        };
        put("name", Some(&self.name));
        put("email", Some(&self.email));
        put("phone", self.phone.as_ref());
        put("company", self.company.as_ref());
        put("title", self.title.as_ref());
        put("message", Some(&self.message));
        put("source", Some(&self.source));
        put("campaign", self.campaign.as_ref());
        if !self.fields.is_empty() {
            let fields: Map<String, Value> = self
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            object.insert("fields".into(), Value::Object(fields));
        }
        serde_json::to_vec(&Value::Object(object))
            .map_err(|e| DbError::invalid("demo inquiry", e.to_string()))
    }

    /// The body the hosted form posts; `honeypot` is what a bot typed into
    /// the hidden field.
    fn form(&self, honeypot: &str) -> Vec<u8> {
        let mut pairs: Vec<(&str, String)> =
            vec![("name", self.name.clone()), ("email", self.email.clone())];
        for (key, value) in [
            ("phone", &self.phone),
            ("company", &self.company),
            ("title", &self.title),
        ] {
            if let Some(value) = value {
                pairs.push((key, value.clone()));
            }
        }
        pairs.push(("message", self.message.clone()));
        for (key, value) in &self.fields {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            pairs.push((key, text));
        }
        pairs.push(("source", self.source.clone()));
        if let Some(campaign) = &self.campaign {
            pairs.push(("campaign", campaign.clone()));
        }
        pairs.push((HONEYPOT_FIELD, honeypot.to_string()));
        form_body(&pairs)
    }
}

/// The hash the pipeline will compute, from the bytes it will read.
fn hash_of(channel: Channel, raw: &[u8], forwarders: &intake::Staff) -> Result<String> {
    let received =
        decode(channel, raw, forwarders).map_err(|e| DbError::invalid("demo inquiry", e))?;
    let inquiry = Inquiry::parse(&received.input).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        DbError::invalid("demo inquiry", list.join("; "))
    })?;
    Ok(content_hash(&inquiry))
}

#[derive(Debug, Clone, Copy)]
enum SpamStyle {
    LinkFlood,
    Bot,
    Shouting,
    SlipsThrough,
    Repeated,
}

/// Writes the demo's inquiries, one arrival at a time.
struct Writer<'a> {
    seed: u64,
    clock: &'a Clock,
    campaigns: &'a [Campaign],
    staff: &'a Staff,
    /// The staff's addresses, whose forwards the pipeline credits onward.
    forwarders: intake::Staff,
    /// A spam message still to be sent again: (draft, copies left).
    repeat: Option<(Draft, u32)>,
}

impl Writer<'_> {
    fn draft(&mut self, book: &Book, arrival: &Arrival, number: u64) -> Result<Draft> {
        if arrival.campaign.is_none()
            && let Some((draft, left)) = self.repeat.as_mut()
        {
            // The same bot again, minutes later: moderation sees the repetition.
            draft.at += (number % 4 + 1) as i64 * MINUTE;
            let copy = draft.clone();
            *left -= 1;
            if *left == 0 {
                self.repeat = None;
            }
            return Ok(copy);
        }
        let mut rng = Rng::derive(self.seed, TAG_INQUIRY, number);
        let campaign = arrival.campaign.map(|i| &self.campaigns[i]);
        let kind = match campaign {
            Some(c) if c.audience == Audience::Customers => Kind::CustomerRequest,
            Some(_) => Kind::NewBusiness,
            None => rng.weighted(KIND_WEIGHTS),
        };
        if kind == Kind::Spam {
            return self.spam(arrival.at, &mut rng);
        }
        let (author, account) = self.author(book, kind, &mut rng);
        let words = placeholder_words(self.clock, &author, arrival.at, &mut rng);
        let channel = channel_for(kind, campaign, &mut rng);
        let (subject, text) = compose(kind, campaign, channel, &words, &mut rng);
        let source = match (channel, campaign) {
            (_, Some(c)) => c.channel.to_string(),
            (Channel::Api, None) => "chat".to_string(),
            (Channel::Manual, None) => "phone".to_string(),
            _ => rng
                .weighted(&[("website", 60), ("referral", 20), ("linkedin", 20)])
                .to_string(),
        };
        let company = author.company.clone();
        let mut envelope = Envelope {
            name: format!("{} {}", author.first, author.last),
            email: author.email.clone(),
            phone: None,
            company: None,
            title: None,
            message: text,
            source,
            campaign: campaign.map(|c| c.name.clone()),
            fields: Vec::new(),
        };
        // Each channel collects some of what the person could have said.
        let (with_company, with_title, with_phone, with_size, with_pages) = match channel {
            Channel::Form => (0.9, 0.75, 0.45, 0.7, true),
            Channel::Api => (0.6, 0.4, 0.2, 0.5, true),
            Channel::Import => (1.0, 0.9, 0.6, 0.4, false),
            _ => (1.0, 0.7, 0.9, 0.5, false),
        };
        if let Some(company) = &company {
            if rng.chance(with_company) {
                envelope.company = Some(company.name.clone());
            }
            if rng.chance(with_size) {
                envelope
                    .fields
                    .push(("company_size", Value::from(size_band(company.employees))));
            }
            if rng.chance(0.6) {
                envelope
                    .fields
                    .push(("industry", Value::from(INDUSTRIES[company.industry].name)));
            }
        }
        if rng.chance(with_title) {
            envelope.title = author.title.clone();
        }
        if rng.chance(with_phone) {
            envelope.phone = author.phone.clone();
        }
        let mut pages_viewed = 0;
        if with_pages {
            pages_viewed = match kind {
                Kind::NewBusiness | Kind::Rfp if rng.chance(0.45) => rng.between(5, 20),
                Kind::NewBusiness | Kind::Rfp => rng.between(1, 4),
                _ => rng.between(0, 3),
            };
            envelope
                .fields
                .push(("pages_viewed", Value::from(pages_viewed)));
        }
        let (raw, origin, idempotency_key) = match channel {
            Channel::Form => (envelope.form(""), "form:contact".to_string(), None),
            Channel::Api => (
                envelope.json()?,
                format!("api:{}", self.staff.member("marketer1").email()),
                Some(format!("chat-{number:07}")),
            ),
            Channel::Manual => {
                let taker = self.phone_taker(&mut rng);
                (envelope.json()?, format!("manual:{}", taker.email()), None)
            }
            Channel::Import => {
                let file = match campaign {
                    Some(c) => format!(
                        "{}-{}",
                        if c.channel == "trade_show" {
                            "expo-badge-scans"
                        } else {
                            "webinar-attendees"
                        },
                        &self.clock.day_text(c.starts)[..7]
                    ),
                    None => "leads".to_string(),
                };
                (
                    envelope.json()?,
                    format!("import:{file}.csv row {}", number % 400 + 2),
                    None,
                )
            }
            Channel::Email => (
                self.email(
                    &author,
                    &subject,
                    &envelope.message,
                    arrival.at,
                    kind,
                    &mut rng,
                ),
                format!("email:sales@{DEMO_DOMAIN}"),
                None,
            ),
        };
        Ok(Draft {
            at: arrival.at,
            channel,
            content_hash: hash_of(channel, &raw, &self.forwarders)?,
            origin,
            raw,
            idempotency_key,
            kind,
            company: if account { None } else { company },
            fit: fit(&author, pages_viewed),
        })
    }

    /// Who writes an inquiry of this kind, and whether they are at an account.
    fn author(&self, book: &Book, kind: Kind, rng: &mut Rng) -> (Author, bool) {
        let not_customer = |a: &Account| a.status != AccountStatus::Customer;
        let customer = |a: &Account| a.status == AccountStatus::Customer;
        let at_account = match kind {
            Kind::NewBusiness if rng.chance(0.6) => book
                .pick(rng, not_customer, |a| {
                    if a.status == AccountStatus::Prospect {
                        2
                    } else {
                        1
                    }
                })
                .map(|i| {
                    (
                        i,
                        &[Duty::Executive, Duty::Maintenance, Duty::Planning][..],
                        0.2,
                    )
                }),
            Kind::Rfp if rng.chance(0.55) => book
                .pick(
                    rng,
                    |a| not_customer(a) && a.employees >= 150,
                    |a| {
                        if matches!(a.industry, PUBLIC_SECTOR | HEALTHCARE | EDUCATION) {
                            3
                        } else {
                            1
                        }
                    },
                )
                .map(|i| (i, &[Duty::Executive][..], 0.3)),
            Kind::CustomerRequest => book
                .pick(rng, customer, |a| a.employees / 400 + 1)
                .map(|i| (i, &[Duty::Executive, Duty::Maintenance, Duty::It][..], 0.7)),
            Kind::Support => book
                .pick(rng, customer, |a| 1 + 2 * u32::from(a.deal_seeker))
                .map(|i| (i, &[Duty::Maintenance, Duty::Planning, Duty::It][..], 0.75)),
            Kind::Billing | Kind::Collections => book
                .pick(rng, customer, |a| 1 + 3 * u32::from(a.deal_seeker))
                .map(|i| (i, &[Duty::Finance][..], 0.7)),
            _ => None,
        };
        if let Some((index, duties, known_share)) = at_account {
            return (at_company(book, index, duties, known_share, rng), true);
        }
        let industry = rng.below(INDUSTRIES.len() as u64) as usize;
        let author = match kind {
            Kind::Rfp => {
                let (pattern, industry) = rng.pick(TENDERING_BODIES);
                let name = fill(pattern, &[("town", rng.pick(PLACE_WORDS).to_string())]);
                let employees = rng.between(150, 3000) as u32;
                stranger(rng, name, industry, employees, false, PROCUREMENT_TITLES)
            }
            Kind::Partner | Kind::VendorPitch => {
                let name = format!(
                    "{} {}",
                    rng.pick(PLACE_WORDS),
                    rng.pick(INDUSTRIES[SOFTWARE].company_words)
                );
                let employees = rng.between(5, 120) as u32;
                let titles = if kind == Kind::Partner {
                    PARTNER_TITLES
                } else {
                    VENDOR_TITLES
                };
                stranger(rng, name, SOFTWARE, employees, false, titles)
            }
            Kind::JobSeeker => {
                let first = rng.pick(FIRST_NAMES).to_string();
                let last = rng.pick(LAST_NAMES).to_string();
                let city = rng.below(CITIES.len() as u64) as usize;
                Author {
                    email: free_address(rng, &first, &last),
                    phone: rng.chance(0.5).then(|| phone_number(rng, city)),
                    first,
                    last,
                    title: None,
                    company: None,
                }
            }
            _ => {
                let name = format!(
                    "{} {}",
                    rng.pick(PLACE_WORDS),
                    rng.pick(INDUSTRIES[industry].company_words)
                );
                let employees = rng.weighted(&[(25, 3), (80, 4), (240, 3), (600, 1)]) as u32;
                let employees = rng.scale(f64::from(employees), 60, 160) as u32;
                let titles = rng.weighted(&[
                    (DECISION_MAKER_TITLES, 3),
                    (MANAGER_TITLES, 4),
                    (STAFF_TITLES, 3),
                ]);
                let free_mail = rng.chance(0.35);
                stranger(rng, name, industry, employees, free_mail, titles)
            }
        };
        (author, false)
    }

    /// Whoever answered the phone: a qualifier, or a hunter now and then.
    fn phone_taker(&self, rng: &mut Rng) -> &Member {
        let role = if rng.chance(0.8) {
            Role::Qualifier
        } else {
            Role::Hunter
        };
        let people = self.staff.with_role(role);
        people[rng.below(people.len() as u64) as usize]
    }

    /// The message as it reached the sales inbox: written directly, or
    /// forwarded by a rep who received it.
    fn email(
        &self,
        author: &Author,
        subject: &str,
        text: &str,
        at: i64,
        kind: Kind,
        rng: &mut Rng,
    ) -> Vec<u8> {
        let mut signature = format!("{} {}", author.first, author.last);
        if let Some(title) = &author.title {
            signature.push('\n');
            signature.push_str(title);
            if let Some(company) = &author.company {
                signature.push_str(", ");
                signature.push_str(&company.name);
            }
        }
        if let Some(phone) = &author.phone {
            signature.push('\n');
            signature.push_str(phone);
        }
        let body = format!(
            "{}\n\n{text}\n\n{}\n{signature}\n",
            rng.pick(GREETINGS),
            rng.pick(SIGN_OFFS)
        );
        let sender = format!("{} {} <{}>", author.first, author.last, author.email);
        let sales = format!("sales@{DEMO_DOMAIN}");
        let forwarded_by =
            (matches!(kind, Kind::NewBusiness | Kind::Rfp) && rng.chance(0.2)).then(|| {
                let reps = self.staff.with_role(Role::Hunter);
                reps[rng.below(reps.len() as u64) as usize]
            });
        let (from, subject, body) = match forwarded_by {
            Some(rep) => (
                format!("{} <{}>", rep.name, rep.email()),
                format!("Fwd: {subject}"),
                format!(
                    "{}\n\n---------- Forwarded message ---------\nFrom: {sender}\nDate: {}\nSubject: {subject}\nTo: {}\n\n{body}",
                    rng.pick(FORWARD_NOTES),
                    mail_date(at - rng.between(1, 48) * HOUR),
                    rep.email()
                ),
            ),
            None => (sender, subject.to_string(), body),
        };
        let message_domain = author.email.rsplit('@').next().unwrap_or(DEMO_DOMAIN);
        format!(
            "From: {from}\r\nTo: {sales}\r\nSubject: {subject}\r\nDate: {}\r\nMessage-ID: <{}.{}@{message_domain}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            mail_date(at),
            at,
            rng.below(1_000_000),
            body.replace('\n', "\r\n")
        )
        .into_bytes()
    }

    fn spam(&mut self, at: i64, rng: &mut Rng) -> Result<Draft> {
        let style = rng.weighted(&[
            (SpamStyle::LinkFlood, 35),
            (SpamStyle::Bot, 35),
            (SpamStyle::Shouting, 10),
            (SpamStyle::SlipsThrough, 8),
            (SpamStyle::Repeated, 12),
        ]);
        let site = rng.pick(SPAM_SITES).to_string();
        let name = rng.pick(SPAM_NAMES).to_string();
        let throwaway = format!(
            "{}{}@{}",
            rng.pick(SPAM_MAILBOXES),
            rng.between(10, 99),
            rng.pick(DISPOSABLE_MAIL)
        );
        let (first, last) = name.split_once(' ').unwrap_or((&name, "Team"));
        let free = free_address(rng, first, last);
        let (email, templates, honeypot, site) = match style {
            SpamStyle::LinkFlood => (throwaway, LINK_FLOOD, String::new(), site),
            SpamStyle::Bot => (free, BOT_MESSAGES, format!("http://{site}"), site),
            SpamStyle::Shouting => (
                format!("sales@{site}"),
                SHOUTING,
                String::new(),
                site.to_uppercase(),
            ),
            SpamStyle::SlipsThrough => (free, SLIPS_THROUGH, String::new(), site),
            SpamStyle::Repeated => (free, REPEATED, String::new(), site),
        };
        let message = fill(rng.pick(templates), &[("site", site)]);
        let envelope = Envelope {
            name,
            email,
            phone: None,
            company: None,
            title: None,
            message,
            source: "website".to_string(),
            campaign: None,
            fields: vec![("pages_viewed", Value::from(rng.between(0, 1)))],
        };
        // Bots post the form; a few spammers use the API or write e-mails.
        let (channel, raw, origin) = match style {
            SpamStyle::LinkFlood if rng.chance(0.3) => (
                Channel::Api,
                envelope.json()?,
                format!("api:{}", self.staff.member("marketer1").email()),
            ),
            _ => (
                Channel::Form,
                envelope.form(&honeypot),
                "form:contact".to_string(),
            ),
        };
        let draft = Draft {
            at,
            channel,
            content_hash: hash_of(channel, &raw, &self.forwarders)?,
            origin,
            raw,
            idempotency_key: None,
            kind: Kind::Spam,
            company: None,
            fit: 0.0,
        };
        if matches!(style, SpamStyle::Repeated) {
            self.repeat = Some((draft.clone(), rng.between(1, 2) as u32));
        }
        Ok(draft)
    }
}

/// The values that fill a text's `{placeholders}`.
fn placeholder_words(
    clock: &Clock,
    author: &Author,
    at: i64,
    rng: &mut Rng,
) -> Vec<(&'static str, String)> {
    let (company, industry, employees, city) = match &author.company {
        Some(c) => (c.name.clone(), c.industry, c.employees, c.city),
        None => (
            "our company".to_string(),
            rng.below(INDUSTRIES.len() as u64) as usize,
            rng.between(20, 400) as u32,
            rng.below(CITIES.len() as u64) as usize,
        ),
    };
    let vocabulary = &INDUSTRIES[industry];
    let sites = (1 + employees / 250).clamp(2, 30) as i64 + rng.between(0, 2);
    let users = (i64::from(employees) / 25).clamp(3, 150);
    vec![
        ("first", author.first.clone()),
        ("company", company),
        ("site", vocabulary.site.to_string()),
        ("sites", vocabulary.sites.to_string()),
        ("n_sites", sites.to_string()),
        ("n_users", users.to_string()),
        ("n_assets", (sites * rng.between(150, 900)).to_string()),
        ("n_sensors", rng.between(12, 120).to_string()),
        ("equipment", rng.pick(vocabulary.equipment).to_string()),
        ("tool", rng.pick(TOOLS).to_string()),
        ("erp", rng.pick(ERPS).to_string()),
        ("city", CITIES[city].0.to_string()),
        ("region", CITIES[city].2.to_string()),
        (
            "month",
            clock
                .month_name(at + rng.between(30, 120) * DAY)
                .to_string(),
        ),
        ("deadline", clock.spoken_day(at + rng.between(18, 40) * DAY)),
        (
            "question_deadline",
            clock.spoken_day(at + rng.between(6, 12) * DAY),
        ),
        ("date", clock.spoken_day(at + rng.between(2, 10) * DAY)),
        (
            "invoice",
            format!(
                "INV-{}-{:05}",
                clock.date(at).year(),
                rng.between(1000, 99_999)
            ),
        ),
        ("amount", dollars_text(rng.between(120_000, 4_800_000))),
        ("po", format!("PO-{:06}", rng.between(100_000, 999_999))),
        ("card", format!("{:04}", rng.between(1000, 9999))),
        (
            "colleague",
            format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES)),
        ),
        ("years", rng.between(3, 15).to_string()),
        ("booth", rng.between(100, 950).to_string()),
        ("weekday", WEEKDAYS[rng.below(5) as usize].to_string()),
        ("approver", rng.pick(APPROVERS).to_string()),
    ]
}

/// Someone at an account: a known contact or a colleague of theirs.
fn at_company(
    book: &Book,
    index: usize,
    duties: &[Duty],
    known_share: f64,
    rng: &mut Rng,
) -> Author {
    let account = &book.accounts[index];
    let known: Vec<&Contact> = account
        .contacts
        .iter()
        .filter(|c| duties.contains(&c.duty))
        .collect();
    if !known.is_empty() && rng.chance(known_share) {
        let contact = rng.pick(&known);
        return Author {
            first: contact.first.clone(),
            last: contact.last.clone(),
            email: contact.email.clone(),
            phone: Some(contact.phone.clone()),
            title: Some(contact.title.to_string()),
            company: Some(Company::of(account)),
        };
    }
    let first = rng.pick(FIRST_NAMES).to_string();
    let last = rng.pick(LAST_NAMES).to_string();
    let duty = rng.pick(duties);
    Author {
        email: work_address(
            &first,
            &last,
            account.domain.as_deref().unwrap_or(DEMO_DOMAIN),
        ),
        phone: rng.chance(0.5).then(|| phone_number(rng, account.city)),
        title: Some(rng.pick(duty.titles()).to_string()),
        company: Some(Company::of(account)),
        first,
        last,
    }
}

/// Someone at a company the demo company does not know yet.
fn stranger(
    rng: &mut Rng,
    company: String,
    industry: usize,
    employees: u32,
    free_mail: bool,
    titles: &[&str],
) -> Author {
    let first = rng.pick(FIRST_NAMES).to_string();
    let last = rng.pick(LAST_NAMES).to_string();
    let city = rng.below(CITIES.len() as u64) as usize;
    let domain = format!("{}.example", mailbox_word(&company));
    Author {
        email: if free_mail {
            free_address(rng, &first, &last)
        } else {
            work_address(&first, &last, &domain)
        },
        phone: rng.chance(0.5).then(|| phone_number(rng, city)),
        title: Some(rng.pick(titles).to_string()),
        company: Some(Company {
            name: company,
            domain: (!free_mail).then_some(domain),
            industry,
            employees,
            city,
        }),
        first,
        last,
    }
}

/// How an inquiry of this kind reaches the company.
fn channel_for(kind: Kind, campaign: Option<&Campaign>, rng: &mut Rng) -> Channel {
    if let Some(campaign) = campaign {
        return match campaign.channel {
            "trade_show" => Channel::Import,
            "webinar" => rng.weighted(&[(Channel::Import, 1), (Channel::Form, 1)]),
            "email" => rng.weighted(&[(Channel::Email, 1), (Channel::Form, 1)]),
            _ => rng.weighted(&[(Channel::Form, 85), (Channel::Api, 15)]),
        };
    }
    let weights: &[(Channel, u32)] = match kind {
        Kind::NewBusiness => &[
            (Channel::Form, 50),
            (Channel::Api, 20),
            (Channel::Email, 18),
            (Channel::Manual, 12),
        ],
        Kind::Rfp => &[(Channel::Email, 70), (Channel::Form, 30)],
        Kind::CustomerRequest => &[
            (Channel::Email, 60),
            (Channel::Form, 20),
            (Channel::Manual, 20),
        ],
        Kind::Support => &[
            (Channel::Email, 55),
            (Channel::Form, 30),
            (Channel::Manual, 15),
        ],
        Kind::Billing | Kind::Collections => &[(Channel::Email, 80), (Channel::Manual, 20)],
        Kind::Partner | Kind::JobSeeker | Kind::VendorPitch | Kind::Spam => {
            &[(Channel::Form, 60), (Channel::Email, 40)]
        }
    };
    rng.weighted(weights)
}

/// The subject and text of an inquiry.
fn compose(
    kind: Kind,
    campaign: Option<&Campaign>,
    channel: Channel,
    words: &[(&str, String)],
    rng: &mut Rng,
) -> (String, String) {
    let (texts, extras): (Texts, &[&str]) = match kind {
        Kind::NewBusiness if channel == Channel::Import => match campaign {
            Some(c) if c.channel == "webinar" => (WEBINAR_NOTES, &[]),
            _ => (BOOTH_NOTES, &[]),
        },
        Kind::NewBusiness if channel == Channel::Manual => (PHONE_NOTES, &[]),
        Kind::NewBusiness if campaign.is_none() && rng.chance(0.12) => (VAGUE, &[]),
        Kind::NewBusiness => (NEW_BUSINESS, NEW_BUSINESS_EXTRAS),
        Kind::Rfp => (RFP, RFP_EXTRAS),
        Kind::CustomerRequest => (CUSTOMER_REQUESTS, &[]),
        Kind::Support => (SUPPORT, &[]),
        Kind::Billing => (BILLING, &[]),
        Kind::Collections => (COLLECTIONS, &[]),
        Kind::Partner => (PARTNERS, &[]),
        Kind::JobSeeker => (JOB_SEEKERS, &[]),
        Kind::VendorPitch | Kind::Spam => (VENDOR_PITCHES, &[]),
    };
    let (subject, text) = rng.pick(texts);
    let mut text = fill(text, words);
    if !extras.is_empty() && rng.chance(0.45) {
        text.push(' ');
        text.push_str(&fill(rng.pick(extras), words));
    }
    let opener = match campaign.map(|c| c.channel) {
        Some("webinar") if channel != Channel::Import => {
            "I joined your Downtime Detectives webinar last week. "
        }
        Some("content") => "I downloaded your Reliability Benchmark Report. ",
        Some("linkedin") => "Saw your ad on LinkedIn. ",
        Some("email") => "Following up on your e-mail about Fieldwise Insights. ",
        _ => "",
    };
    if channel == Channel::Manual && kind != Kind::NewBusiness {
        text = format!("Phone call: \"{text}\"");
    }
    (fill(subject, words), format!("{opener}{text}"))
}

// ---------------------------------------------------------------------------
// Intake through the real pipeline
// ---------------------------------------------------------------------------

/// Inquiries stored and processed together, as a busy server would.
const BATCH: usize = 200;

async fn run_intake(
    sim: &mut Sim<'_>,
    campaigns: &[Campaign],
    options: &DemoOptions,
    progress: &dyn Fn(&str, u64, u64),
) -> Result<()> {
    let arrivals = plan_arrivals(sim.clock, campaigns, options.inquiries, options.seed);
    let mut writer = Writer {
        seed: options.seed,
        clock: sim.clock,
        campaigns,
        staff: sim.staff,
        forwarders: intake::Staff::new(sim.staff.members.iter().map(Member::email)),
        repeat: None,
    };
    // Contacts above this id were created by the pipeline, at processing time.
    let (seeded_contacts,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM contacts")
        .fetch_one(sim.db.reader())
        .await?;
    let total = arrivals.len() as u64;
    for (batch_number, batch) in arrivals.chunks(BATCH).enumerate() {
        let mut drafts = Vec::with_capacity(batch.len());
        for (offset, arrival) in batch.iter().enumerate() {
            let number = (batch_number * BATCH + offset) as u64;
            drafts.push(writer.draft(&sim.book, arrival, number)?);
        }
        let ids = store_backdated(sim.db, &drafts).await?;
        sim.db.process_inquiries(&ids).await?;
        let (first, last) = (ids[0], ids[ids.len() - 1]);
        backdate_processing(sim.db, sim.clock, first, last, seeded_contacts).await?;
        let drafts_by_id: BTreeMap<i64, &Draft> = ids.iter().copied().zip(&drafts).collect();
        sim.take_new_items(first, last, &drafts_by_id).await?;
        // Work done before the next batch arrives frees capacity for it.
        let horizon = arrivals
            .get((batch_number + 1) * BATCH)
            .map_or(sim.clock.today, |a| a.at);
        sim.run_until(horizon).await?;
        progress(
            "inquiries",
            (batch_number * BATCH + batch.len()) as u64,
            total,
        );
    }
    Ok(())
}

/// Stores raw inquiries as `Db::store_raw` does, but at the time they
/// arrived in the demo's history.
async fn store_backdated(db: &Db, drafts: &[Draft]) -> Result<Vec<i64>> {
    let mut tx = db.begin_write().await?;
    let ids = allocate_ids(&mut tx, db.backend(), "inquiries", drafts.len()).await?;
    let rows: Vec<Vec<sql::Value>> = drafts
        .iter()
        .zip(&ids)
        .map(|(draft, id)| {
            vec![
                (*id).into(),
                draft.at.into(),
                draft.channel.as_str().into(),
                draft.origin.as_str().into(),
                draft.raw.clone().into(),
                draft.idempotency_key.as_deref().into(),
                draft.content_hash.as_str().into(),
                InquiryStatus::Received.as_str().into(),
            ]
        })
        .collect();
    insert_rows::<(i64,)>(
        &mut tx,
        "INSERT INTO inquiries (id, received_at, channel, origin, raw, idempotency_key, content_hash, status)",
        "",
        &rows,
    )
    .await?;
    tx.commit().await?;
    Ok(ids)
}

/// Moves what processing wrote for inquiries `first..=last` from the wall
/// clock to the demo's timeline: processed seconds to minutes after arrival,
/// the work due by its queue's SLAs from then.
async fn backdate_processing(
    db: &Db,
    clock: &Clock,
    first: i64,
    last: i64,
    seeded_contacts: i64,
) -> Result<()> {
    let statements = [
        "UPDATE inquiries SET processed_at = received_at + 20000 + (id % 9) * 15000
         WHERE id BETWEEN $1 AND $2",
        "UPDATE decisions SET created_at =
             (SELECT i.processed_at FROM inquiries i WHERE i.id = decisions.inquiry_id)
         WHERE inquiry_id BETWEEN $1 AND $2",
        "UPDATE leads SET
             created_at = (SELECT i.processed_at FROM inquiries i WHERE i.id = leads.inquiry_id),
             updated_at = (SELECT i.processed_at FROM inquiries i WHERE i.id = leads.inquiry_id)
         WHERE inquiry_id BETWEEN $1 AND $2",
        "UPDATE lead_stage_history SET at =
             (SELECT l.created_at FROM leads l WHERE l.id = lead_stage_history.lead_id)
         WHERE lead_id IN (SELECT id FROM leads WHERE inquiry_id BETWEEN $1 AND $2)",
        "UPDATE work_items SET
             created_at = (SELECT i.processed_at FROM inquiries i WHERE i.id = work_items.inquiry_id),
             updated_at = (SELECT i.processed_at FROM inquiries i WHERE i.id = work_items.inquiry_id)
         WHERE inquiry_id BETWEEN $1 AND $2",
        "UPDATE assignment_history SET at =
             (SELECT w.created_at FROM work_items w WHERE w.id = assignment_history.work_item_id)
         WHERE work_item_id IN (SELECT id FROM work_items WHERE inquiry_id BETWEEN $1 AND $2)",
    ];
    let mut tx = db.begin_write().await?;
    for statement in statements {
        sqlx::query(statement)
            .bind(first)
            .bind(last)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "UPDATE contacts SET
             created_at = CASE WHEN id > $3
                 THEN (SELECT MIN(i.processed_at) FROM inquiries i WHERE i.contact_id = contacts.id)
                 ELSE created_at END,
             updated_at = (SELECT MAX(i.processed_at) FROM inquiries i WHERE i.contact_id = contacts.id)
         WHERE id IN (SELECT contact_id FROM inquiries WHERE id BETWEEN $1 AND $2)",
    )
    .bind(first)
    .bind(last)
    .bind(seeded_contacts)
    .execute(&mut *tx)
    .await?;
    let items: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT w.id, w.created_at, q.first_touch_sla_min, q.resolution_sla_min, q.business_hours
         FROM work_items w JOIN queues q ON q.id = w.queue_id
         WHERE w.inquiry_id BETWEEN $1 AND $2",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *tx)
    .await?;
    let due_rows: Vec<Vec<sql::Value>> = items
        .into_iter()
        .map(|(id, routed_at, first_touch, resolution, business_hours)| {
            let due = |minutes| clock.due(routed_at, minutes, business_hours != 0);
            vec![id.into(), due(first_touch).into(), due(resolution).into()]
        })
        .collect();
    insert_rows::<(i64,)>(
        &mut tx,
        "UPDATE work_items SET first_touch_due_at = v.column2, resolution_due_at = v.column3 FROM (",
        ") AS v WHERE work_items.id = v.column1",
        &due_rows,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// What happened next: the work in the queues, in time order
// ---------------------------------------------------------------------------

/// Something that happens to the demo's work at a moment of its history.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// The assignee first looks at a work item: accepts or rejects it.
    FirstTouch(i64),
    /// A qualifier decides where an accepted lead goes.
    Qualify(i64),
    /// A hunter works an accepted lead.
    SalesFollowUp(i64),
    /// A farmer answers a customer's request.
    AccountRequest(i64),
    /// Marketing ends a lead's nurture track.
    NurtureReview(i64),
    /// Service or operations solves the issue.
    Resolve(i64),
    /// An opportunity is won or lost (an index into the deals).
    CloseDeal(usize),
    /// A rep opens an opportunity that no inquiry brought.
    OutboundDeal(i64),
}

/// A work item as the demo follows it.
#[derive(Debug, Clone)]
struct Item {
    id: i64,
    desk: Desk,
    assignee: Option<i64>,
    lead: Option<i64>,
    inquiry: i64,
    created_at: i64,
    first_due: i64,
    kind: Kind,
    account: Option<i64>,
    contact: Option<i64>,
    /// The sender's company when it is not an account yet.
    company: Option<Company>,
    /// How good a prospect the sender really is (see [`fit`]).
    fit: f64,
}

/// How an opportunity came about, which decides its size and its odds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Motion {
    NewLogo,
    Rfp,
    Expansion,
    Renewal,
}

impl Motion {
    /// Shortest and longest sales cycle, in days.
    fn cycle_days(self) -> (i64, i64) {
        match self {
            Motion::NewLogo => (35, 150),
            Motion::Rfp => (60, 120),
            Motion::Expansion => (15, 75),
            Motion::Renewal => (30, 90),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct DealSpec {
    owner: i64,
    /// Index into the book.
    account: usize,
    contact: Option<i64>,
    lead: Option<i64>,
    motion: Motion,
}

/// An opportunity as the demo keeps track of it.
#[derive(Debug, Clone)]
struct Deal {
    id: i64,
    owner: i64,
    account: usize,
    account_id: i64,
    lead: Option<i64>,
    name: String,
    amount: i64,
    created_at: i64,
    /// The close date the rep first expected.
    planned_close: i64,
    /// When it is really won or lost, perhaps after `today`.
    close_at: i64,
    won: bool,
    reason: String,
}

/// What an activity was about.
#[derive(Debug, Clone, Copy, Default)]
struct About {
    contact: Option<i64>,
    account: Option<i64>,
    lead: Option<i64>,
    opportunity: Option<i64>,
}

/// An activity to store once the history is complete.
#[derive(Debug, Clone)]
struct Activity {
    kind: &'static str,
    user: i64,
    about: About,
    at: i64,
    outcome: String,
}

/// The demo's history after intake: work items, leads, opportunities and
/// activities, moved forward event by event in time order.
struct Sim<'a> {
    db: &'a Db,
    seed: u64,
    clock: &'a Clock,
    staff: &'a Staff,
    desks: &'a Desks,
    book: Book,
    /// Events by (time, order of scheduling).
    agenda: BTreeMap<(i64, u64), Event>,
    next_event: u64,
    items: BTreeMap<i64, Item>,
    deals: Vec<Deal>,
    activities: Vec<Activity>,
    /// The transaction of the current round, between the real API calls.
    tx: Option<Transaction<'static, Any>>,
}

const SALES_DISQUALIFIED: &[&str] = &[
    "No budget until next fiscal year",
    "Student research project, not a buyer",
    "Too small: three technicians, below our minimum deal",
    "Under contract with another system until next year",
    "Consultant collecting quotes for a client",
    "No reply after five attempts",
];

const SALES_REJECTIONS: &[&str] = &[
    "No budget this year; back to marketing for nurturing",
    "Too early: researching for a project next year",
    "Duplicate of a lead already in progress",
    "Wrong contact: the decision sits with their head office",
];

const ACCOUNT_REJECTIONS: &[&str] = &[
    "This is a question for service, not for account management",
    "Duplicate of a request already handled",
];

const REQUESTS_HANDLED: &[&str] = &[
    "Sent the SOC 2 report",
    "Scheduled onboarding for the new technicians",
    "Added the new administrator",
    "Explained API access in their plan",
    "Booked the business review",
    "Answered the renewal questions",
];

const SERVICE_DONE: &[&str] = &[
    "Resolved: re-synced the technicians' devices",
    "Resolved: updated the SSO certificate mapping",
    "Resolved: regenerated the maintenance schedule",
    "Resolved: replaced a faulty sensor gateway",
    "Workaround sent; the fix ships in the next release",
    "Resolved: the password e-mail was blocked by their filter",
    "Resolved: raised the export limit",
];

const BILLING_DONE: &[&str] = &[
    "Issued a credit note",
    "Re-issued the invoice with the new PO",
    "Refunded the duplicate charge",
    "Updated the payment method",
    "Sent the receipts",
    "Moved the account to annual billing",
];

const COLLECTIONS_DONE: &[&str] = &[
    "Promise to pay by Friday",
    "Payment plan agreed: three instalments",
    "Payment received; reminders stopped",
    "Dispute settled with a partial credit",
    "Confirmed the wire transfer; account current",
];

const QUALIFICATION_CALLS: &[&str] = &[
    "Reached; asked about team size, budget and timeline",
    "Left a voicemail and sent an e-mail",
    "Short call; they are comparing three systems",
    "Reached the decision maker directly",
];

const LEAD_FOLLOW_UPS: &[&str] = &[
    "Intro call; booked a discovery meeting",
    "Left a voicemail and sent an intro e-mail",
    "Reached the contact; sending pricing",
];

/// Why a lead that is not a prospect leaves the funnel.
fn not_a_prospect(kind: Kind) -> &'static str {
    match kind {
        Kind::Support => "Support question, passed to service",
        Kind::Billing | Kind::Collections => "Billing question, passed to operations",
        Kind::CustomerRequest => "Existing customer, passed to the account manager",
        Kind::Partner => "Partnership request, passed to the owner",
        Kind::JobSeeker => "Job application, forwarded to HR",
        Kind::VendorPitch => "Vendor pitch, not a buyer",
        Kind::Spam => "Spam that got past moderation",
        Kind::NewBusiness | Kind::Rfp => "No project in sight",
    }
}

impl Sim<'_> {
    fn schedule(&mut self, at: i64, event: Event) {
        // What would happen after today has not happened yet.
        if at <= self.clock.today {
            self.agenda.insert((at, self.next_event), event);
            self.next_event += 1;
        }
    }

    async fn open(&mut self) -> Result<Transaction<'static, Any>> {
        match self.tx.take() {
            Some(tx) => Ok(tx),
            None => self.db.begin_write().await,
        }
    }

    async fn commit(&mut self) -> Result<()> {
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        Ok(())
    }

    fn log(&mut self, kind: &'static str, user: i64, at: i64, about: About, outcome: &str) {
        if at <= self.clock.today {
            self.activities.push(Activity {
                kind,
                user,
                about,
                at,
                outcome: outcome.to_string(),
            });
        }
    }

    /// Applies every event up to `horizon`, in time order.
    async fn run_until(&mut self, horizon: i64) -> Result<()> {
        while let Some(entry) = self.agenda.first_entry() {
            let (at, _) = *entry.key();
            if at > horizon {
                break;
            }
            let event = entry.remove();
            match event {
                Event::FirstTouch(id) => self.first_touch(at, id).await?,
                Event::Qualify(id) => self.qualify(at, id).await?,
                Event::SalesFollowUp(id) => self.sales_follow_up(at, id).await?,
                Event::AccountRequest(id) => self.account_request(at, id).await?,
                Event::NurtureReview(id) => self.nurture_review(at, id).await?,
                Event::Resolve(id) => self.resolve(at, id).await?,
                Event::CloseDeal(index) => self.close_deal(at, index).await?,
                Event::OutboundDeal(owner) => self.outbound_deal(at, owner).await?,
            }
        }
        self.commit().await
    }

    /// Follows the work items the pipeline created for inquiries
    /// `first..=last`.
    async fn take_new_items(
        &mut self,
        first: i64,
        last: i64,
        drafts: &BTreeMap<i64, &Draft>,
    ) -> Result<()> {
        type Row = (
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            String,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT w.id, w.inquiry_id, w.lead_id, w.assignee_id, q.slug, w.created_at, w.first_touch_due_at,
                    i.account_id, i.contact_id
             FROM work_items w JOIN queues q ON q.id = w.queue_id JOIN inquiries i ON i.id = w.inquiry_id
             WHERE w.inquiry_id BETWEEN $1 AND $2 ORDER BY w.id",
        )
        .bind(first)
        .bind(last)
        .fetch_all(self.db.reader())
        .await?;
        for (id, inquiry, lead, assignee, slug, created_at, first_due, account, contact) in rows {
            let (Some(desk), Some(draft)) = (Desks::by_slug(&slug), drafts.get(&inquiry)) else {
                continue;
            };
            let item = Item {
                id,
                desk,
                assignee,
                lead,
                inquiry,
                created_at,
                first_due,
                kind: draft.kind,
                account,
                contact,
                company: draft.company.clone(),
                fit: draft.fit,
            };
            self.schedule_first_touch(&item);
            self.items.insert(id, item);
        }
        Ok(())
    }

    /// Most people answer within the first-touch SLA; some do not.
    fn schedule_first_touch(&mut self, item: &Item) {
        let Some(assignee) = item.assignee else {
            return;
        };
        let persona = self.staff.persona(assignee);
        let mut rng = Rng::derive(self.seed, TAG_TOUCH_TIME, item.id as u64);
        let window = (item.first_due - item.created_at).max(10 * MINUTE);
        let at = if rng.chance(persona.on_time) {
            item.created_at + (window as f64 * (0.05 + 0.85 * rng.unit())) as i64
        } else {
            item.first_due + rng.between(30 * MINUTE, 3 * DAY)
        };
        self.schedule(at, Event::FirstTouch(item.id));
    }

    /// The item and its assignee, when it has one.
    fn assigned(&self, id: i64) -> Option<(Item, i64)> {
        let item = self.items.get(&id)?;
        Some((item.clone(), item.assignee?))
    }

    async fn first_touch(&mut self, at: i64, id: i64) -> Result<()> {
        let Some((item, user)) = self.assigned(id) else {
            return Ok(());
        };
        let mut rng = Rng::derive(self.seed, TAG_FIRST_TOUCH, id as u64);
        let rejection = match item.desk {
            Desk::Hunters => match item.kind {
                Kind::NewBusiness | Kind::Rfp => {
                    rng.chance(0.10).then(|| rng.pick(SALES_REJECTIONS))
                }
                Kind::CustomerRequest | Kind::Support | Kind::Billing | Kind::Collections => {
                    Some("Existing customer, not new business")
                }
                other => Some(not_a_prospect(other)),
            },
            Desk::Farmers => rng.chance(0.03).then(|| rng.pick(ACCOUNT_REJECTIONS)),
            _ => None,
        };
        if let Some(reason) = rejection {
            return self.reject(at, &item, user, reason).await;
        }
        let mut tx = self.open().await?;
        accept_item(&mut tx, id, user, at).await?;
        if matches!(item.desk, Desk::Hunters | Desk::Farmers)
            && let Some(lead) = item.lead
        {
            move_lead(
                &mut tx,
                lead,
                &[Stage::Mql],
                Stage::Sal,
                "accepted by sales",
                Some(user),
                at,
            )
            .await?;
        }
        self.tx = Some(tx);
        let about = About {
            contact: item.contact,
            account: item.account,
            lead: item.lead,
            opportunity: None,
        };
        match item.desk {
            Desk::Qualification => {
                let outcome = rng.pick(QUALIFICATION_CALLS);
                self.log("qualification_call", user, at, about, outcome);
            }
            Desk::Hunters => {
                let outcome = rng.pick(LEAD_FOLLOW_UPS);
                self.log("follow_up_lead", user, at, about, outcome);
            }
            Desk::Farmers | Desk::Nurture | Desk::Service | Desk::Operations => {}
        }
        let (event, delay) = match item.desk {
            Desk::Qualification => (Event::Qualify(id), rng.between(HOUR, 5 * DAY)),
            Desk::Hunters => (Event::SalesFollowUp(id), rng.between(2 * DAY, 25 * DAY)),
            Desk::Farmers => (Event::AccountRequest(id), rng.between(4 * HOUR, 14 * DAY)),
            Desk::Nurture => (Event::NurtureReview(id), rng.between(20 * DAY, 120 * DAY)),
            Desk::Service => (Event::Resolve(id), rng.between(HOUR, 10 * DAY)),
            Desk::Operations => (Event::Resolve(id), rng.between(2 * HOUR, 14 * DAY)),
        };
        self.schedule(at + delay, event);
        Ok(())
    }

    /// Rejects through the real code, which sends the lead back to nurture
    /// with a new item, then moves what it wrote to the demo's timeline.
    async fn reject(&mut self, at: i64, item: &Item, user: i64, reason: &str) -> Result<()> {
        self.commit().await?;
        let (items_before, history_before, stages_before): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM work_items),
                    (SELECT COALESCE(MAX(id), 0) FROM assignment_history),
                    (SELECT COALESCE(MAX(id), 0) FROM lead_stage_history)",
        )
        .fetch_one(self.db.writer())
        .await?;
        self.db.reject_work_item(user, item.id, reason).await?;
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE work_items SET updated_at = $1 WHERE id = $2")
            .bind(at)
            .bind(item.id)
            .execute(&mut *tx)
            .await?;
        // The new items' SLAs count from the demo's time, as the real code
        // counts them from the wall clock.
        let slas: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT w.id, q.first_touch_sla_min, q.resolution_sla_min, q.business_hours
             FROM work_items w JOIN queues q ON q.id = w.queue_id WHERE w.id > $1",
        )
        .bind(items_before)
        .fetch_all(&mut *tx)
        .await?;
        for (id, first, resolution, business_hours) in slas {
            sqlx::query(
                "UPDATE work_items SET first_touch_due_at = $1, resolution_due_at = $2, created_at = $3,
                     updated_at = $3
                 WHERE id = $4",
            )
            .bind(self.clock.due(at, first, business_hours != 0))
            .bind(self.clock.due(at, resolution, business_hours != 0))
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE assignment_history SET at = $1 WHERE id > $2")
            .bind(at)
            .bind(history_before)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE lead_stage_history SET at = $1 WHERE id > $2")
            .bind(at)
            .bind(stages_before)
            .execute(&mut *tx)
            .await?;
        if let Some(lead) = item.lead {
            sqlx::query("UPDATE leads SET updated_at = $1 WHERE id = $2")
                .bind(at)
                .bind(lead)
                .execute(&mut *tx)
                .await?;
        }
        let created: Vec<(i64, Option<i64>, i64)> = sqlx::query_as(
            "SELECT id, assignee_id, first_touch_due_at FROM work_items WHERE id > $1 ORDER BY id",
        )
        .bind(items_before)
        .fetch_all(&mut *tx)
        .await?;
        self.tx = Some(tx);
        for (id, assignee, first_due) in created {
            let nurture = Item {
                id,
                desk: Desk::Nurture,
                assignee,
                created_at: at,
                first_due,
                ..item.clone()
            };
            self.schedule_first_touch(&nurture);
            self.items.insert(id, nurture);
        }
        Ok(())
    }

    async fn qualify(&mut self, at: i64, id: i64) -> Result<()> {
        let Some((item, user)) = self.assigned(id) else {
            return Ok(());
        };
        let mut rng = Rng::derive(self.seed, TAG_NEXT_STEP, id as u64);
        let mut tx = self.open().await?;
        let roll = if matches!(item.kind, Kind::NewBusiness | Kind::Rfp) {
            rng.below(100)
        } else {
            100
        };
        // Good prospects pass more often: 45 in 100 at a fit of 1.
        let qualified = (45.0 * item.fit).round().min(75.0) as u64;
        match roll {
            _ if roll < qualified => {
                let reason = "qualified: need, budget and timeline confirmed";
                close_item(&mut tx, id, user, reason, at).await?;
                if let Some(lead) = item.lead {
                    move_lead(&mut tx, lead, &[], Stage::Mql, reason, Some(user), at).await?;
                }
                let handed = at + rng.between(5, 90) * MINUTE;
                self.hand_off(&mut tx, handed, &item, "qualified by the inbound team")
                    .await?;
            }
            // The next 30 in 100 are not ready yet; the rest are out.
            _ if roll < (qualified + 30).min(100) => {
                let reason = "not ready to buy: researching for next year";
                close_item(&mut tx, id, user, reason, at).await?;
                if let Some(lead) = item.lead {
                    move_lead(&mut tx, lead, &[], Stage::Nurture, reason, Some(user), at).await?;
                }
            }
            _ => {
                let reason = if roll < 100 {
                    rng.pick(SALES_DISQUALIFIED)
                } else {
                    not_a_prospect(item.kind)
                };
                self.dismiss(&mut tx, &item, user, reason, at).await?;
                if let Some(lead) = item.lead {
                    move_lead(
                        &mut tx,
                        lead,
                        &[],
                        Stage::Disqualified,
                        reason,
                        Some(user),
                        at,
                    )
                    .await?;
                }
            }
        }
        self.tx = Some(tx);
        Ok(())
    }

    async fn sales_follow_up(&mut self, at: i64, id: i64) -> Result<()> {
        let Some((item, user)) = self.assigned(id) else {
            return Ok(());
        };
        let mut rng = Rng::derive(self.seed, TAG_NEXT_STEP, id as u64);
        let prospect = matches!(item.kind, Kind::NewBusiness | Kind::Rfp);
        let roll = rng.unit();
        let opens_deal = if item.kind == Kind::Rfp { 0.4 } else { 0.22 };
        let mut tx = self.open().await?;
        let mut disqualify = None;
        if !prospect {
            disqualify = Some(not_a_prospect(item.kind));
        } else if roll < opens_deal {
            let account = match item.account.and_then(|a| self.book.by_id.get(&a).copied()) {
                Some(index) => Some(index),
                // Only a company with its own domain is worth an account.
                None => match item.company.as_ref().filter(|c| c.domain.is_some()) {
                    Some(company) => Some(self.adopt(&mut tx, company, user, at).await?),
                    None => None,
                },
            };
            match account {
                Some(index) => {
                    self.link_to_account(&mut tx, &item, index).await?;
                    if let Some(lead) = item.lead {
                        let reason = "discovery call: need, budget and timeline confirmed";
                        move_lead(&mut tx, lead, &[], Stage::Sql, reason, Some(user), at).await?;
                    }
                    let motion = if item.kind == Kind::Rfp {
                        Motion::Rfp
                    } else {
                        Motion::NewLogo
                    };
                    let spec = DealSpec {
                        owner: user,
                        account: index,
                        contact: item.contact,
                        lead: item.lead,
                        motion,
                    };
                    self.open_deal(&mut tx, at, spec).await?;
                    if let Some(lead) = item.lead {
                        let reason = "opportunity opened";
                        move_lead(
                            &mut tx,
                            lead,
                            &[],
                            Stage::Opportunity,
                            reason,
                            Some(user),
                            at,
                        )
                        .await?;
                    }
                    close_item(&mut tx, id, user, "converted to an opportunity", at).await?;
                }
                None => disqualify = Some("Private mailbox and no company behind it; no reply"),
            }
        } else if roll < opens_deal + 0.5 {
            disqualify = Some(rng.pick(SALES_DISQUALIFIED));
        }
        // Otherwise the rep keeps working it: the item stays accepted.
        if let Some(reason) = disqualify {
            self.dismiss(&mut tx, &item, user, reason, at).await?;
            if let Some(lead) = item.lead {
                move_lead(
                    &mut tx,
                    lead,
                    &[],
                    Stage::Disqualified,
                    reason,
                    Some(user),
                    at,
                )
                .await?;
            }
        }
        self.tx = Some(tx);
        Ok(())
    }

    async fn account_request(&mut self, at: i64, id: i64) -> Result<()> {
        let Some((item, user)) = self.assigned(id) else {
            return Ok(());
        };
        let mut rng = Rng::derive(self.seed, TAG_NEXT_STEP, id as u64);
        let account = item.account.and_then(|a| self.book.by_id.get(&a).copied());
        let mut tx = self.open().await?;
        match account {
            Some(index) if item.kind == Kind::CustomerRequest && rng.chance(0.3) => {
                if let Some(lead) = item.lead {
                    let reason = "expansion need confirmed with the customer";
                    move_lead(&mut tx, lead, &[], Stage::Sql, reason, Some(user), at).await?;
                }
                let spec = DealSpec {
                    owner: user,
                    account: index,
                    contact: item.contact,
                    lead: item.lead,
                    motion: Motion::Expansion,
                };
                self.open_deal(&mut tx, at, spec).await?;
                if let Some(lead) = item.lead {
                    let reason = "opportunity opened";
                    move_lead(
                        &mut tx,
                        lead,
                        &[],
                        Stage::Opportunity,
                        reason,
                        Some(user),
                        at,
                    )
                    .await?;
                }
                close_item(&mut tx, id, user, "expansion opportunity opened", at).await?;
            }
            _ => {
                let reason = if item.kind == Kind::CustomerRequest {
                    rng.pick(REQUESTS_HANDLED)
                } else {
                    not_a_prospect(item.kind)
                };
                self.dismiss(&mut tx, &item, user, reason, at).await?;
                let about = About {
                    contact: item.contact,
                    account: item.account,
                    lead: item.lead,
                    opportunity: None,
                };
                // Serving a customer's request is farming; anything else
                // that reached the farmers is answered by e-mail.
                let kind = if item.kind == Kind::CustomerRequest {
                    "account_visit"
                } else {
                    "email"
                };
                self.log(kind, user, at, about, reason);
            }
        }
        self.tx = Some(tx);
        Ok(())
    }

    /// Closes `item` with `reason`, and when it is spam that got past
    /// moderation has the first qualifier confirm it as spam, as the one
    /// who met it asks them to.
    async fn dismiss(
        &self,
        tx: &mut Transaction<'static, Any>,
        item: &Item,
        user: i64,
        reason: &str,
        at: i64,
    ) -> Result<()> {
        close_item(tx, item.id, user, reason, at).await?;
        if item.kind != Kind::Spam {
            return Ok(());
        }
        let moderator = self.staff.member("qualifier1");
        let confirmed = sqlx::query(
            "UPDATE inquiries SET status = 'spam' WHERE id = $1 AND status = 'processed'",
        )
        .bind(item.inquiry)
        .execute(&mut **tx)
        .await?;
        if confirmed.rows_affected() == 1 {
            let said = format!("confirmed as spam by {}: {reason}", moderator.name);
            let why = Reason::new("confirmed_by_moderator", 1.0, said);
            record_verdict(tx, item.inquiry, "spam", why, moderator.id, at).await?;
        }
        Ok(())
    }

    async fn nurture_review(&mut self, at: i64, id: i64) -> Result<()> {
        let Some((item, user)) = self.assigned(id) else {
            return Ok(());
        };
        let mut rng = Rng::derive(self.seed, TAG_NEXT_STEP, id as u64);
        let mut tx = self.open().await?;
        if !matches!(item.kind, Kind::NewBusiness | Kind::Rfp) {
            let reason = not_a_prospect(item.kind);
            self.dismiss(&mut tx, &item, user, reason, at).await?;
            if let Some(lead) = item.lead {
                move_lead(
                    &mut tx,
                    lead,
                    &[],
                    Stage::Disqualified,
                    reason,
                    Some(user),
                    at,
                )
                .await?;
            }
        } else if let Some(lead) = item.lead.filter(|_| rng.chance(0.12)) {
            let reason = "re-engaged: opened three nurture e-mails and visited the pricing page";
            close_item(&mut tx, id, user, "handed to sales after re-engagement", at).await?;
            move_lead(&mut tx, lead, &[], Stage::Mql, reason, Some(user), at).await?;
            self.hand_off(
                &mut tx,
                at + rng.between(5, 60) * MINUTE,
                &item,
                "re-engaged in nurture",
            )
            .await?;
        } else {
            let reason = "nurture track completed; stays with marketing";
            close_item(&mut tx, id, user, reason, at).await?;
        }
        self.tx = Some(tx);
        Ok(())
    }

    async fn resolve(&mut self, at: i64, id: i64) -> Result<()> {
        let Some((item, user)) = self.assigned(id) else {
            return Ok(());
        };
        let mut rng = Rng::derive(self.seed, TAG_NEXT_STEP, id as u64);
        let (kind, outcomes) = match (item.desk, item.kind) {
            (Desk::Operations, Kind::Collections) => ("collections_call", COLLECTIONS_DONE),
            (Desk::Operations, _) => ("billing_issue", BILLING_DONE),
            _ => ("service_issue", SERVICE_DONE),
        };
        let outcome = rng.pick(outcomes);
        let mut tx = self.open().await?;
        close_item(&mut tx, id, user, outcome, at).await?;
        self.tx = Some(tx);
        let about = About {
            contact: item.contact,
            account: item.account,
            lead: None,
            opportunity: None,
        };
        self.log(kind, user, at, about, outcome);
        Ok(())
    }

    /// Gives a qualified lead to the hunters, picked as the real routing
    /// picks: the queue's strategy, capacity caps and absences.
    async fn hand_off(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        at: i64,
        item: &Item,
        reason: &str,
    ) -> Result<()> {
        let Some(lead) = item.lead else {
            return Ok(());
        };
        let desk = self.desks.info(Desk::Hunters);
        let (strategy, mut last, _, _) = lock_queue_by_id(tx, self.db.backend(), desk.id).await?;
        let chosen = choose_assignee(tx, desk.id, strategy, &mut last, None, &[]).await?;
        sqlx::query("UPDATE queues SET last_position = $1 WHERE id = $2")
            .bind(last)
            .bind(desk.id)
            .execute(&mut **tx)
            .await?;
        let due = |minutes| self.clock.due(at, minutes, desk.business_hours);
        let (first_due, resolution_due) =
            (due(desk.first_touch_minutes), due(desk.resolution_minutes));
        let (assignee, status, action, why) = match chosen {
            Ok((user, why)) => (Some(user), "assigned", "assigned", why),
            Err(why) => (None, "unassigned", "waiting", why),
        };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO work_items (lead_id, inquiry_id, queue_id, assignee_id, status, first_touch_due_at,
                 resolution_due_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(lead)
        .bind(item.inquiry)
        .bind(desk.id)
        .bind(assignee)
        .bind(status)
        .bind(first_due)
        .bind(resolution_due)
        .bind(at)
        .fetch_one(&mut **tx)
        .await?;
        record(
            tx,
            &Handover {
                item: id,
                action,
                from_user: None,
                to_user: assignee,
                to_queue: Some(desk.id),
                reason: &format!("{reason}; {why}"),
                actor: None,
                at,
            },
        )
        .await?;
        if let Some(user) = assignee {
            sqlx::query("UPDATE leads SET owner_id = $1 WHERE id = $2")
                .bind(user)
                .bind(lead)
                .execute(&mut **tx)
                .await?;
        }
        let handed = Item {
            id,
            desk: Desk::Hunters,
            assignee,
            created_at: at,
            first_due,
            ..item.clone()
        };
        self.schedule_first_touch(&handed);
        self.items.insert(id, handed);
        Ok(())
    }

    /// The account of a company a hunter is about to sell to: an existing
    /// one with its domain or name, or a new prospect.
    async fn adopt(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        company: &Company,
        owner: i64,
        at: i64,
    ) -> Result<usize> {
        let mut existing: Option<(i64,)> = None;
        if let Some(domain) = &company.domain {
            existing = sqlx::query_as("SELECT account_id FROM account_domains WHERE domain = $1")
                .bind(domain)
                .fetch_optional(&mut **tx)
                .await?;
        }
        if existing.is_none() {
            existing =
                sqlx::query_as("SELECT id FROM accounts WHERE name_norm = $1 ORDER BY id LIMIT 1")
                    .bind(normalise_company(&company.name))
                    .fetch_optional(&mut **tx)
                    .await?;
        }
        if let Some(index) = existing.and_then(|(id,)| self.book.by_id.get(&id).copied()) {
            return Ok(index);
        }
        let mut rng = Rng::derive(self.seed, TAG_ACCOUNTS, self.book.accounts.len() as u64);
        let tier = tier_for(company.employees, &mut rng);
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO accounts (name, name_norm, status, tier, industry, employees, owner_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(&company.name)
        .bind(normalise_company(&company.name))
        .bind(AccountStatus::Prospect.as_str())
        .bind(tier.as_str())
        .bind(INDUSTRIES[company.industry].name)
        .bind(i64::from(company.employees))
        .bind(owner)
        .bind(at)
        .fetch_one(&mut **tx)
        .await?;
        if let Some(domain) = &company.domain {
            sqlx::query("INSERT INTO account_domains (domain, account_id) VALUES ($1, $2)")
                .bind(domain)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        self.book.by_id.insert(id, self.book.accounts.len());
        self.book.accounts.push(Account {
            id,
            name: company.name.clone(),
            domain: company.domain.clone(),
            industry: company.industry,
            employees: company.employees,
            city: company.city,
            status: AccountStatus::Prospect,
            owner,
            deal_seeker: false,
            contacts: Vec::new(),
        });
        Ok(self.book.accounts.len() - 1)
    }

    /// Files the lead and its contact under the account a rep just found.
    async fn link_to_account(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        item: &Item,
        index: usize,
    ) -> Result<()> {
        let account = self.book.accounts[index].id;
        if let Some(lead) = item.lead {
            sqlx::query("UPDATE leads SET account_id = $1 WHERE id = $2 AND account_id IS NULL")
                .bind(account)
                .bind(lead)
                .execute(&mut **tx)
                .await?;
        }
        if let Some(contact) = item.contact {
            sqlx::query("UPDATE contacts SET account_id = $1 WHERE id = $2 AND account_id IS NULL")
                .bind(account)
                .bind(contact)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Opportunities
// ---------------------------------------------------------------------------

/// What a deal sells and for how much.
struct Offer {
    name: String,
    product: &'static str,
    amount: i64,
}

/// List prices in dollars: a seat a year, a site a year, a sensor.
const SEAT: i64 = 780;
const SITE: i64 = 4_800;
const SENSOR: i64 = 350;

fn offer_for(motion: Motion, account: &Account, year: i16, rng: &mut Rng) -> Offer {
    let seats = (i64::from(account.employees) / 20).clamp(5, 150);
    let sites = (i64::from(account.employees) / 180).clamp(1, 20);
    let (product, dollars, title) = match motion {
        Motion::NewLogo => match rng.below(4) {
            0 => (
                "Fieldwise Maintain",
                seats * SEAT,
                format!("Maintain for {seats} technicians"),
            ),
            1 => (
                "Fieldwise Maintain + Track",
                seats * SEAT + sites * SITE,
                format!("Maintain and Track, {sites} {}", plural(sites, "site")),
            ),
            2 => {
                let sensors = rng.between(20, 120);
                (
                    "Fieldwise Sensors",
                    sensors * SENSOR + 6_000,
                    format!("sensor pilot, {sensors} sensors"),
                )
            }
            _ => (
                "Fieldwise Maintain + Insights",
                seats * SEAT + 9_000,
                "Maintain with Insights".to_string(),
            ),
        },
        Motion::Rfp => (
            "Fieldwise Maintain + Track",
            seats * SEAT + sites * SITE + rng.between(15, 40) * 1_000,
            "RFP: maintenance management system".to_string(),
        ),
        Motion::Expansion => match rng.below(5) {
            0 => {
                let more = rng.between(5, 40);
                (
                    "Fieldwise Maintain",
                    more * SEAT,
                    format!("{more} additional seats"),
                )
            }
            1 => {
                let more = rng.between(2, 8);
                (
                    "Fieldwise Track",
                    more * SITE,
                    format!("Track for {more} more sites"),
                )
            }
            2 => (
                "Fieldwise Insights",
                9_000 + rng.between(0, 6) * 1_000,
                "Insights add-on".to_string(),
            ),
            3 => {
                let more = rng.between(10, 80);
                (
                    "Fieldwise Sensors",
                    more * SENSOR + 2_000,
                    format!("{more} more sensors"),
                )
            }
            _ => (
                "Fieldwise Care",
                rng.between(6, 18) * 1_000,
                "Fieldwise Care plan".to_string(),
            ),
        },
        Motion::Renewal => (
            "Annual renewal",
            seats * SEAT,
            format!("annual renewal {year}"),
        ),
    };
    // New customers also buy implementation services.
    let services = if motion == Motion::NewLogo {
        dollars * 12 / 100
    } else {
        0
    };
    let mut amount = rng.scale((dollars + services) as f64, 92, 108);
    let mut name = format!("{} – {title}", account.name);
    if account.deal_seeker {
        amount *= 0.6;
        name.push_str(" (discount requested)");
    }
    Offer {
        name,
        product,
        amount: hundreds_of_dollars(amount),
    }
}

const WON_REASONS: &[&str] = &[
    "Technicians preferred the mobile app",
    "Fast rollout and strong references",
    "Sensor integration decided it",
    "Best total cost over three years",
];

const LOST_REASONS: &[&str] = &[
    "Chose a competitor with a lower price",
    "No budget approved this year",
    "Project put on hold after a reorganisation",
    "Went with their ERP's maintenance module",
    "Our champion left the company",
    "No decision: they stayed on spreadsheets",
];

/// The activities a deal of this kind goes through, at shares of its life.
fn deal_steps(motion: Motion) -> &'static [(&'static str, f64)] {
    match motion {
        Motion::NewLogo => &[
            ("appointment", 0.03),
            ("meeting", 0.15),
            ("email", 0.25),
            ("call", 0.4),
            ("proposal", 0.6),
            ("call", 0.8),
            ("email", 0.92),
        ],
        Motion::Rfp => &[
            ("email", 0.02),
            ("rfp_answer", 0.3),
            ("proposal", 0.45),
            ("meeting", 0.65),
            ("call", 0.9),
        ],
        Motion::Expansion => &[
            ("account_visit", 0.05),
            ("upsell", 0.2),
            ("email", 0.4),
            ("proposal", 0.6),
            ("call", 0.85),
        ],
        Motion::Renewal => &[("email", 0.05), ("call", 0.4), ("meeting", 0.75)],
    }
}

/// What people write as the outcome of each type of activity.
const OUTCOMES: &[(&str, &[&str])] = &[
    (
        "call",
        &[
            "Reached the contact; agreed next steps",
            "Left a voicemail and sent a follow-up e-mail",
            "Walked through pricing options",
            "Confirmed the decision date",
            "Call moved to next week by the customer",
        ],
    ),
    (
        "email",
        &[
            "Sent pricing and a case study",
            "Sent the recap of our call",
            "Answered the security questionnaire",
            "Followed up; no reply yet",
        ],
    ),
    (
        "meeting",
        &[
            "Demo for the maintenance team",
            "Met the plant director; strong interest",
            "On-site visit with the technicians",
            "Pricing discussion with finance",
        ],
    ),
    (
        "appointment",
        &[
            "Discovery meeting with the decision maker",
            "First meeting with the VP of Operations",
            "Site walk booked",
        ],
    ),
    (
        "proposal",
        &[
            "Proposal sent for review",
            "Revised proposal with a phased rollout",
            "Proposal with three-year terms sent",
        ],
    ),
    (
        "rfp_answer",
        &[
            "RFP response submitted before the deadline",
            "Answered 212 RFP questions with pre-sales",
            "Clarification questions submitted",
        ],
    ),
    (
        "cold_call",
        &[
            "No answer",
            "Gatekeeper; asked to e-mail",
            "Interested; call again next month",
            "Not interested: happy with their current system",
            "Booked an intro meeting",
        ],
    ),
    (
        "networking",
        &[
            "Chamber of commerce breakfast: three new contacts",
            "Reliability engineers meetup",
            "Facility managers association dinner",
            "Manufacturers' council meeting",
        ],
    ),
    (
        "new_business",
        &[
            "Built a prospect list of food plants in Wisconsin",
            "Researched hospital systems with new facilities",
            "Mapped decision makers at five logistics firms",
        ],
    ),
    (
        "account_visit",
        &[
            "Quarterly visit; reviewed downtime numbers",
            "Visited the new site; met the technicians",
            "Lunch with the maintenance manager",
        ],
    ),
    (
        "upsell",
        &[
            "Presented the Insights add-on",
            "Proposed Track for the remaining sites",
            "Discussed sensors for the critical assets",
        ],
    ),
    (
        "crm_update",
        &[
            "Updated contacts after a reorganisation",
            "Logged renewal dates for all accounts",
            "Merged duplicate contacts",
        ],
    ),
    (
        "call_sheet",
        &[
            "Daily call sheet: 12 of 14 calls done",
            "Weekly call sheet completed",
            "Call sheet: 9 calls, 3 follow-ups",
        ],
    ),
    ("qualification_call", QUALIFICATION_CALLS),
    ("service_issue", SERVICE_DONE),
    ("billing_issue", BILLING_DONE),
    ("collections_call", COLLECTIONS_DONE),
    (
        "delivery",
        &[
            "Shipped 24 sensors and two gateways",
            "Sensor kit delivered and installed",
            "Delivery delayed by the carrier",
        ],
    ),
    (
        "email_campaign",
        &[
            "Monthly newsletter sent to 4,200 contacts",
            "Product update e-mail: 31% opened",
            "Webinar invitation sent to prospects",
        ],
    ),
    (
        "social_media",
        &[
            "Posted the customer story on LinkedIn",
            "Weekly tips post: 2,300 impressions",
            "Shared the benchmark report teaser",
        ],
    ),
    (
        "advertising",
        &[
            "Tuned the paid search keywords",
            "New LinkedIn ad set for facilities directors",
            "Paused underperforming ads",
        ],
    ),
    (
        "sales_material",
        &[
            "Updated the pricing sheet",
            "New case study: sensor pilot at a food plant",
            "Refreshed the pitch deck",
        ],
    ),
    (
        "website",
        &[
            "Published a new landing page",
            "Shortened the demo request form",
            "Added customer logos to the home page",
        ],
    ),
    (
        "promotion",
        &[
            "Planned the end-of-quarter offer",
            "Launched the referral program",
        ],
    ),
    (
        "direct_mail",
        &[
            "Mailed the benchmark report to 300 plant directors",
            "Holiday cards to customers",
        ],
    ),
    (
        "telemarketing",
        &["Webinar follow-up calls", "Called trade show contacts"],
    ),
    (
        "awareness",
        &[
            "Podcast interview on maintenance planning",
            "Article in a trade magazine",
        ],
    ),
    (
        "lead_generation",
        &[
            "Launched a new gated guide",
            "Set up the webinar registration page",
        ],
    ),
    (
        "customer_communications",
        &["Customer newsletter sent", "Release notes e-mail to admins"],
    ),
    (
        "forecast",
        &["Pipeline review with the team", "Quarterly forecast review"],
    ),
];

pub(crate) fn outcome(kind: &str, rng: &mut Rng) -> &'static str {
    OUTCOMES
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("Done", |(_, texts)| rng.pick(texts))
}

/// The everyday work of each role, beyond what inquiries and deals bring.
pub(crate) fn everyday_work(role: Role) -> &'static [&'static str] {
    match role {
        Role::Marketer => &[
            "email_campaign",
            "social_media",
            "advertising",
            "sales_material",
            "website",
            "promotion",
            "direct_mail",
            "awareness",
            "lead_generation",
            "customer_communications",
            "telemarketing",
        ],
        Role::Qualifier => &["qualification_call"],
        Role::Hunter => &[
            "cold_call",
            "cold_call",
            "cold_call",
            "networking",
            "new_business",
            "call",
            "email",
        ],
        Role::Farmer => &[
            "account_visit",
            "crm_update",
            "call_sheet",
            "upsell",
            "call",
        ],
        Role::Service => &["service_issue"],
        Role::Operations => &["billing_issue", "collections_call", "delivery"],
        Role::Manager => &["meeting", "forecast"],
        Role::Owner => &["meeting", "networking"],
    }
}

/// How much everyday work each role logs, relative to the others.
pub(crate) fn everyday_weight(role: Role) -> u32 {
    match role {
        Role::Marketer => 24,
        Role::Hunter => 9,
        Role::Farmer => 8,
        Role::Operations => 5,
        Role::Service => 4,
        Role::Qualifier | Role::Manager => 3,
        Role::Owner => 2,
    }
}

/// Activities stored between two progress reports.
const ACTIVITIES_PER_STEP: usize = 500;

impl Sim<'_> {
    /// Opens an opportunity whose whole future is decided now: stored as it
    /// stands today, with its close scheduled when that is before today.
    async fn open_deal(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        at: i64,
        spec: DealSpec,
    ) -> Result<()> {
        let index = self.deals.len();
        let mut rng = Rng::derive(self.seed, TAG_DEAL, index as u64);
        let clock = self.clock;
        let account = self.book.accounts[spec.account].clone();
        let persona = self.staff.persona(spec.owner);
        let offer = offer_for(spec.motion, &account, clock.date(at).year(), &mut rng);
        let (shortest, longest) = spec.motion.cycle_days();
        let planned_close = at + rng.between(shortest, longest) * DAY;
        let odds = match spec.motion {
            Motion::NewLogo | Motion::Expansion => persona.win_rate,
            Motion::Rfp => persona.win_rate * 0.6,
            Motion::Renewal => 0.9,
        };
        let odds = odds - if account.deal_seeker { 0.25 } else { 0.0 };
        let won = rng.chance(odds.clamp(0.05, 0.95));
        let slip = if won {
            rng.between(-7, 35)
        } else {
            rng.between(-20, 30)
        };
        let close_at = clock
            .office_moment(&mut rng, clock.date(planned_close + slip * DAY))
            .max(at + 7 * DAY);
        let closed = close_at <= clock.today;
        let reason = match (won, spec.motion) {
            (true, Motion::Renewal) => "Renewed for another year",
            (true, _) => rng.pick(WON_REASONS),
            (false, _) if account.deal_seeker => "Wanted 40% off; walked away at 25%",
            (false, Motion::Renewal) => "Churned: moved to their ERP's maintenance module",
            (false, _) => rng.pick(LOST_REASONS),
        };
        let life = (close_at - at).max(DAY);
        let (stage, probability, category, updated_at) = if closed {
            if won {
                ("won", 100, "commit", close_at)
            } else {
                ("lost", 0, "omitted", close_at)
            }
        } else {
            let elapsed = (clock.today - at) as f64 / life as f64;
            let (stage, probability, category, entered) = match elapsed {
                e if e < 0.25 => ("prospecting", 10, "pipeline", 0.0),
                e if e < 0.5 => ("engaging", 25, "pipeline", 0.25),
                e if e < 0.8 => ("proposal", 50, "best_case", 0.5),
                _ => ("negotiation", 75, "commit", 0.8),
            };
            // Some deals the rep no longer believes in are left out.
            let category = if rng.chance(0.08) {
                "omitted"
            } else {
                category
            };
            (
                stage,
                probability,
                category,
                at + (life as f64 * entered) as i64,
            )
        };
        let engaged_at = at + life / 4;
        let engaged = stage != "prospecting"
            && engaged_at <= clock.today.min(close_at)
            && (won || !closed || rng.chance(0.6));
        // Reps move the expected close of a slipping deal, but not always.
        let expected_close = if !closed && planned_close < clock.today && rng.chance(0.5) {
            close_at
        } else {
            planned_close
        };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO opportunities (name, account_id, contact_id, lead_id, owner_id, product, amount_minor,
                 currency, stage, probability, forecast_category, expected_close, engaged_on, closed_on,
                 close_reason, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
        )
        .bind(&offer.name)
        .bind(account.id)
        .bind(spec.contact)
        .bind(spec.lead)
        .bind(spec.owner)
        .bind(offer.product)
        .bind(offer.amount)
        .bind(CURRENCY)
        .bind(stage)
        .bind(probability)
        .bind(category)
        .bind(clock.day_text(expected_close))
        .bind(engaged.then(|| clock.day_text(engaged_at)))
        .bind(closed.then(|| clock.day_text(close_at)))
        .bind(closed.then_some(reason))
        .bind(at)
        .bind(updated_at)
        .fetch_one(&mut **tx)
        .await?;
        self.deals.push(Deal {
            id,
            owner: spec.owner,
            account: spec.account,
            account_id: account.id,
            lead: spec.lead,
            name: offer.name,
            amount: offer.amount,
            created_at: at,
            planned_close,
            close_at,
            won,
            reason: reason.to_string(),
        });
        let about = About {
            contact: spec.contact,
            account: Some(account.id),
            lead: spec.lead,
            opportunity: Some(id),
        };
        let end = close_at.min(clock.today);
        for (kind, share) in deal_steps(spec.motion) {
            let moment = clock.office_near(&mut rng, at + (life as f64 * share) as i64);
            if rng.chance(0.7) && (at..end).contains(&moment) {
                let text = outcome(kind, &mut rng);
                self.log(kind, spec.owner, moment, about, text);
            }
        }
        // Busy reps chase their deals with many more calls and e-mails.
        let chasing = ((persona.busyness - 1.0) * 6.0).round() as i64;
        for _ in 0..chasing {
            let moment = at + rng.between(0, life);
            let moment = clock.office_near(&mut rng, moment);
            let kind = rng.pick(&["call", "email"]);
            if (at..end).contains(&moment) {
                let text = outcome(kind, &mut rng);
                self.log(kind, spec.owner, moment, about, text);
            }
        }
        if closed {
            self.schedule(close_at, Event::CloseDeal(index));
        }
        if matches!(spec.motion, Motion::NewLogo | Motion::Rfp)
            && account.status == AccountStatus::Suspect
        {
            // Talking about a real project makes a suspect a prospect.
            sqlx::query("UPDATE accounts SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(AccountStatus::Prospect.as_str())
                .bind(at)
                .bind(account.id)
                .execute(&mut **tx)
                .await?;
            self.book.accounts[spec.account].status = AccountStatus::Prospect;
        }
        Ok(())
    }

    async fn close_deal(&mut self, at: i64, index: usize) -> Result<()> {
        let deal = self.deals[index].clone();
        let staff = self.staff;
        let mut tx = self.open().await?;
        if let Some(lead) = deal.lead {
            let (stage, reason) = if deal.won {
                (Stage::Customer, "opportunity won".to_string())
            } else {
                (
                    Stage::Disqualified,
                    format!("opportunity lost: {}", deal.reason),
                )
            };
            move_lead(&mut tx, lead, &[], stage, &reason, Some(deal.owner), at).await?;
        }
        if deal.won && self.book.accounts[deal.account].status != AccountStatus::Customer {
            // A new customer moves from the hunter who won it to a farmer.
            let farmers = staff.with_role(Role::Farmer);
            let farmer = farmers[deal.account % farmers.len()].id;
            sqlx::query(
                "UPDATE accounts SET status = $1, owner_id = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(AccountStatus::Customer.as_str())
            .bind(farmer)
            .bind(at)
            .bind(deal.account_id)
            .execute(&mut *tx)
            .await?;
            let account = &mut self.book.accounts[deal.account];
            account.status = AccountStatus::Customer;
            account.owner = farmer;
        }
        self.tx = Some(tx);
        let about = About {
            contact: None,
            account: Some(deal.account_id),
            lead: deal.lead,
            opportunity: Some(deal.id),
        };
        if deal.won {
            self.log("meeting", deal.owner, at, about, "Order form signed");
        } else {
            let debrief = format!("Debrief after the loss: {}", deal.reason);
            self.log("call", deal.owner, at, about, &debrief);
        }
        Ok(())
    }

    /// Schedules the opportunities reps find on their own, spread over the
    /// history.
    fn plan_outbound_deals(&mut self, count: u64) {
        let mut rng = Rng::derive(self.seed, TAG_OUTBOUND, u64::MAX);
        let staff = self.staff;
        let clock = self.clock;
        let hunters = staff.with_role(Role::Hunter);
        let farmers = staff.with_role(Role::Farmer);
        for _ in 0..count {
            let team = if rng.chance(0.55) { &hunters } else { &farmers };
            let owner = team[rng.below(team.len() as u64) as usize].id;
            let at = clock.office_between(&mut rng, clock.start + 20 * DAY, clock.today - 3 * DAY);
            self.schedule(at, Event::OutboundDeal(owner));
        }
    }

    async fn outbound_deal(&mut self, at: i64, owner: i64) -> Result<()> {
        let staff = self.staff;
        let Some(member) = staff.get(owner) else {
            return Ok(());
        };
        let farmer = member.role == Role::Farmer;
        let mut rng = Rng::derive(self.seed, TAG_OUTBOUND, at as u64);
        // Reps work their own accounts first, and prospects before suspects.
        let picked = self.book.pick(
            &mut rng,
            |a| (a.status == AccountStatus::Customer) == farmer,
            |a| {
                let own = if a.owner == owner { 4 } else { 1 };
                let warm = if a.status == AccountStatus::Suspect {
                    1
                } else {
                    2
                };
                own * warm
            },
        );
        let Some(index) = picked else {
            return Ok(());
        };
        let account = &self.book.accounts[index];
        let contact = account
            .contacts
            .iter()
            .find(|c| c.duty == Duty::Executive)
            .or(account.contacts.first())
            .map(|c| c.id);
        let about = About {
            contact,
            account: Some(account.id),
            lead: None,
            opportunity: None,
        };
        let motion = if !farmer {
            Motion::NewLogo
        } else if rng.chance(0.4) {
            Motion::Renewal
        } else {
            Motion::Expansion
        };
        if !farmer {
            // Hunters find these deals on the phone.
            let called = at - rng.between(7, 30) * DAY;
            let called = self.clock.office_near(&mut rng, called);
            self.log("cold_call", owner, called, about, "Booked an intro meeting");
        }
        let spec = DealSpec {
            owner,
            account: index,
            contact,
            lead: None,
            motion,
        };
        let mut tx = self.open().await?;
        self.open_deal(&mut tx, at, spec).await?;
        self.tx = Some(tx);
        Ok(())
    }

    /// Adds `count` activities of everyone's everyday work beyond inquiries
    /// and deals, then the work some people keep doing for another
    /// function: a fifth of all they log.
    fn add_everyday_activities(&mut self, count: u64) {
        let mut rng = Rng::derive(self.seed, TAG_EVERYDAY, 0);
        let staff = self.staff;
        let weights: Vec<(usize, u32)> = staff
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let weight = f64::from(everyday_weight(m.role)) * m.persona.busyness;
                (i, weight as u32)
            })
            .collect();
        for _ in 0..count {
            let member = &staff.members[rng.weighted(&weights)];
            let kind = rng.pick(everyday_work(member.role));
            self.log_everyday(kind, member, &mut rng);
        }
        for member in staff
            .members
            .iter()
            .filter(|m| !m.persona.stray_work.is_empty())
        {
            let own = self
                .activities
                .iter()
                .filter(|a| a.user == member.id)
                .count();
            for _ in 0..own / 4 {
                let kind = rng.pick(member.persona.stray_work);
                self.log_everyday(kind, member, &mut rng);
            }
        }
    }

    fn log_everyday(&mut self, kind: &'static str, member: &Member, rng: &mut Rng) {
        let at = self
            .clock
            .office_between(rng, self.clock.start, self.clock.today);
        let about = self.everyday_about(kind, member, rng);
        let text = outcome(kind, rng);
        self.log(kind, member.id, at, about, text);
    }

    /// The account and contact an everyday activity concerns, if any.
    fn everyday_about(&self, kind: &str, member: &Member, rng: &mut Rng) -> About {
        let with_customer = matches!(
            kind,
            "account_visit"
                | "upsell"
                | "billing_issue"
                | "collections_call"
                | "service_issue"
                | "delivery"
        ) || (member.role == Role::Farmer && matches!(kind, "call" | "email"));
        let with_prospect = kind == "cold_call"
            || (member.role == Role::Hunter && matches!(kind, "call" | "email"));
        if !with_customer && !with_prospect {
            return About::default();
        }
        let picked = self.book.pick(
            rng,
            |a| (a.status == AccountStatus::Customer) == with_customer,
            |a| if a.owner == member.id { 4 } else { 1 },
        );
        let Some(index) = picked else {
            return About::default();
        };
        let account = &self.book.accounts[index];
        let duty = if matches!(kind, "billing_issue" | "collections_call") {
            Duty::Finance
        } else {
            Duty::Maintenance
        };
        let contact = account
            .contacts
            .iter()
            .find(|c| c.duty == duty)
            .or(account.contacts.first())
            .map(|c| c.id);
        About {
            contact,
            account: Some(account.id),
            lead: None,
            opportunity: None,
        }
    }

    async fn store_activities(&mut self, progress: &dyn Fn(&str, u64, u64)) -> Result<()> {
        let charter: BTreeSet<&str> = default_activity_types().iter().map(|t| t.slug).collect();
        if let Some(stray) = self.activities.iter().find(|a| !charter.contains(a.kind)) {
            return Err(DbError::invalid(
                "activity type",
                format!("`{}` is not in the default charter", stray.kind),
            ));
        }
        self.activities.sort_by_key(|a| a.at);
        let mut rng = Rng::derive(self.seed, TAG_EVERYDAY, 1);
        let total = self.activities.len() as u64;
        let rows: Vec<Vec<sql::Value>> = self
            .activities
            .iter()
            .map(|activity| {
                // Most people log the same day; some catch up days later.
                let lag = if rng.chance(0.1) {
                    rng.between(1, 3) * DAY
                } else {
                    rng.between(2, 90) * MINUTE
                };
                vec![
                    activity.kind.into(),
                    activity.user.into(),
                    activity.about.contact.into(),
                    activity.about.account.into(),
                    activity.about.lead.into(),
                    activity.about.opportunity.into(),
                    activity.at.into(),
                    activity.outcome.as_str().into(),
                    (activity.at + lag).min(self.clock.today).into(),
                ]
            })
            .collect();
        let mut tx = self.db.begin_write().await?;
        for (done, chunk) in rows.chunks(ACTIVITIES_PER_STEP).enumerate() {
            insert_rows::<(i64,)>(
                &mut tx,
                "INSERT INTO activities (type_slug, user_id, contact_id, account_id, lead_id, opportunity_id,
                     occurred_at, outcome, created_at)",
                "",
                chunk,
            )
            .await?;
            let stored = ((done + 1) * ACTIVITIES_PER_STEP).min(rows.len());
            progress("activities", stored as u64, total);
        }
        tx.commit().await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Forecasts
// ---------------------------------------------------------------------------

/// One line of a forecast.
#[derive(Debug, Default)]
struct Line {
    opportunity: Option<i64>,
    account: Option<i64>,
    campaign: Option<i64>,
    channel: Option<&'static str>,
    description: String,
    category: Option<&'static str>,
    amount: i64,
    leads: Option<i64>,
    mqls: Option<i64>,
}

/// One immutable forecast version.
struct Submission {
    user: i64,
    kind: &'static str,
    quarter: Quarter,
    version: i64,
    at: i64,
    note: &'static str,
    lines: Vec<Line>,
}

const REVENUE_NOTES: &[&str] = &[
    "Reviewed in the weekly pipeline meeting",
    "Includes everything in negotiation",
    "Conservative: two deals wait for budget approval",
    "Committed deals confirmed with the customers",
];

const LEAD_NOTES: &[&str] = &[
    "Based on last quarter's conversion rates",
    "Assumes the campaign calendar as planned",
    "Includes the events confirmed so far",
];

/// (marketer, campaign channels, lead sources) each marketer forecasts.
const MARKETER_CHANNELS: &[(&str, &[&str], &[&str])] = &[
    (
        "marketer1",
        &["paid_search", "linkedin"],
        &["website", "chat", "linkedin"],
    ),
    ("marketer2", &["webinar", "content", "email"], &["email"]),
    (
        "marketer3",
        &["trade_show", "partner"],
        &["phone", "referral"],
    ),
];

fn source_label(source: &str) -> &'static str {
    match source {
        "website" => "Website contact form",
        "chat" => "Website chat",
        "linkedin" => "LinkedIn (organic)",
        "email" => "E-mails to sales",
        "phone" => "Phone-in inquiries",
        _ => "Customer referrals",
    }
}

/// What marketing expects an MQL from a channel to be worth, in dollars.
fn value_per_mql(channel: &str) -> i64 {
    match channel {
        "trade_show" => 9_000,
        "referral" | "partner" => 8_000,
        "phone" => 7_500,
        "email" => 7_000,
        "webinar" => 6_500,
        "website" => 6_000,
        "linkedin" => 5_500,
        "paid_search" => 4_500,
        _ => 5_000,
    }
}

/// What a rep who blows smoke (`bias` above 1) calls a deal: best case
/// becomes commit.
fn hopeful(category: &'static str, bias: f64) -> &'static str {
    if bias > 1.0 && category == "best_case" {
        "commit"
    } else {
        category
    }
}

/// Where a lead came from, for lead forecasts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum LeadOrigin {
    Campaign(i64),
    Source(String),
}

/// Leads and MQLs per quarter and origin, as the data shows them.
async fn lead_actuals(
    db: &Db,
    clock: &Clock,
) -> Result<BTreeMap<(Quarter, LeadOrigin), (i64, i64)>> {
    let rows: Vec<(i64, Option<i64>, Option<String>, i64)> = sqlx::query_as(
        "SELECT l.created_at, l.campaign_id, l.source,
                (SELECT COUNT(*) FROM lead_stage_history h WHERE h.lead_id = l.id AND h.to_stage = 'mql')
         FROM leads l ORDER BY l.id",
    )
    .fetch_all(db.reader())
    .await?;
    let mut actuals = BTreeMap::new();
    for (created_at, campaign, source, mql) in rows {
        let origin = match campaign {
            Some(id) => LeadOrigin::Campaign(id),
            None => LeadOrigin::Source(source.unwrap_or_default()),
        };
        let quarter = Quarter::containing(clock.date(created_at));
        let entry = actuals.entry((quarter, origin)).or_insert((0, 0));
        entry.0 += 1;
        entry.1 += i64::from(mql > 0);
    }
    Ok(actuals)
}

/// A rep's revenue forecast for the quarter `span`, made at `at`: the open
/// deals they can name, a run-rate line for business they cannot name yet,
/// and accounts they hope to turn. An honest rep's commit and best case
/// come close to what they close; a smoke-blower's run about 40% higher.
fn revenue_lines(
    sim: &Sim<'_>,
    member: &Member,
    span: (i64, i64),
    at: i64,
    rng: &mut Rng,
) -> Vec<Line> {
    let (starts, ends) = span;
    let today = sim.clock.today;
    let bias = member.persona.forecast_bias;
    let in_quarter = |t: i64| (starts..ends).contains(&t);
    let mut lines = Vec::new();
    let mut unnamed = 0.0;
    for deal in sim.deals.iter().filter(|d| d.owner == member.id) {
        let closes_here = deal.close_at <= today && in_quarter(deal.close_at);
        let nameable = deal.created_at <= at
            && deal.close_at >= at
            && (in_quarter(deal.planned_close) || in_quarter(deal.close_at));
        if !nameable {
            if closes_here && deal.won {
                unnamed += deal.amount as f64 / 100.0;
            }
            continue;
        }
        let choices: &[(&str, u32)] = match (deal.close_at <= today, deal.won) {
            (true, true) if closes_here => &[("commit", 70), ("best_case", 30)],
            (true, true) => &[("best_case", 10), ("pipeline", 90)],
            (true, false) => &[("commit", 2), ("best_case", 8), ("pipeline", 90)],
            (false, _) => &[("best_case", 15), ("pipeline", 85)],
        };
        let category = hopeful(rng.weighted(choices), bias);
        lines.push(Line {
            opportunity: Some(deal.id),
            account: Some(deal.account_id),
            description: deal.name.clone(),
            category: Some(category),
            amount: hundreds_of_dollars(rng.scale(deal.amount as f64 / 100.0 * bias, 95, 105)),
            ..Default::default()
        });
    }
    let farmer = member.role == Role::Farmer;
    if unnamed > 0.0 {
        lines.push(Line {
            description: if farmer {
                "Run-rate: seat growth and add-ons across my accounts".to_string()
            } else {
                "New business not yet in the pipeline".to_string()
            },
            category: Some(hopeful("best_case", bias)),
            amount: hundreds_of_dollars(rng.scale(unnamed * bias, 80, 120)),
            ..Default::default()
        });
    }
    // Accounts with no opportunity yet: customers to grow, suspects to win.
    let accounts: Vec<&Account> = sim
        .book
        .accounts
        .iter()
        .filter(|a| a.owner == member.id && (a.status == AccountStatus::Customer) == farmer)
        .collect();
    if !accounts.is_empty() {
        let first = rng.below(accounts.len() as u64) as usize;
        let count = (rng.between(1, 2) as usize).min(accounts.len());
        for k in 0..count {
            let account = accounts[(first + k) % accounts.len()];
            let (description, dollars) = if farmer {
                (
                    format!("Seat growth at {}", account.name),
                    rng.between(4, 15) * 1_000,
                )
            } else {
                (
                    format!("First project at {} ({})", account.name, account.status),
                    rng.between(10, 40) * 1_000,
                )
            };
            lines.push(Line {
                account: Some(account.id),
                description,
                category: Some("pipeline"),
                amount: hundreds_of_dollars(dollars as f64 * bias),
                ..Default::default()
            });
        }
    }
    lines
}

/// A marketer's expectation for one campaign or source, from what really
/// came in, give or take.
fn lead_line(
    campaign: Option<i64>,
    channel: &'static str,
    description: String,
    actual: (i64, i64),
    elapsed: f64,
    rng: &mut Rng,
) -> Line {
    let leads = rng
        .scale(actual.0 as f64 / elapsed, 80, 125)
        .round()
        .max(3.0) as i64;
    let ratio = if actual.0 > 0 {
        actual.1 as f64 / actual.0 as f64
    } else {
        0.35
    };
    let mqls = (rng.scale(leads as f64 * ratio, 85, 120).round() as i64).min(leads);
    let amount = if mqls > 0 {
        hundreds_of_dollars(rng.scale((mqls * value_per_mql(channel)) as f64, 90, 115))
    } else {
        0
    };
    Line {
        campaign,
        channel: Some(channel),
        description,
        amount,
        leads: Some(leads),
        mqls: Some(mqls),
        ..Default::default()
    }
}

async fn submit_forecasts(
    sim: &Sim<'_>,
    campaigns: &[Campaign],
    progress: &dyn Fn(&str, u64, u64),
) -> Result<()> {
    let clock = sim.clock;
    let quarters = clock.recent_quarters();
    let mut submissions = Vec::new();
    // Submitted in the quarter's first week; some revised mid-quarter.
    let first_week = |rng: &mut Rng, starts: i64| {
        let day = clock.plus_days(clock.date(starts), rng.between(1, 5));
        clock.office_moment(rng, day)
    };
    for member in sim
        .staff
        .members
        .iter()
        .filter(|m| matches!(m.role, Role::Hunter | Role::Farmer))
    {
        for (n, quarter) in quarters.iter().enumerate() {
            let mut rng = Rng::derive(sim.seed, TAG_FORECAST, member.id as u64 * 64 + n as u64);
            let span = clock.span(*quarter);
            let first = first_week(&mut rng, span.0);
            if first > clock.today {
                continue;
            }
            submissions.push(Submission {
                user: member.id,
                kind: "revenue",
                quarter: *quarter,
                version: 1,
                at: first,
                note: rng.pick(REVENUE_NOTES),
                lines: revenue_lines(sim, member, span, first, &mut rng),
            });
            let second = first + rng.between(35, 55) * DAY;
            if rng.chance(0.35) && second <= clock.today && second < span.1 {
                submissions.push(Submission {
                    user: member.id,
                    kind: "revenue",
                    quarter: *quarter,
                    version: 2,
                    at: second,
                    note: "Mid-quarter update after the pipeline review",
                    lines: revenue_lines(sim, member, span, second, &mut rng),
                });
            }
        }
    }
    let actuals = lead_actuals(sim.db, clock).await?;
    for (login, channels, sources) in MARKETER_CHANNELS {
        let member = sim.staff.member(login);
        for (n, quarter) in quarters.iter().enumerate() {
            let mut rng = Rng::derive(sim.seed, TAG_FORECAST, member.id as u64 * 64 + n as u64);
            let (starts, ends) = clock.span(*quarter);
            let first = first_week(&mut rng, starts);
            if first > clock.today {
                continue;
            }
            // The quarter still running counts only as far as it went.
            let elapsed =
                ((clock.today.min(ends) - starts) as f64 / (ends - starts) as f64).max(0.1);
            for version in 1..=2 {
                if version == 2 && !rng.chance(0.25) {
                    break;
                }
                let mut lines = Vec::new();
                for campaign in campaigns.iter().filter(|c| {
                    channels.contains(&c.channel) && c.starts < ends && c.ends >= starts
                }) {
                    let actual = actuals
                        .get(&(*quarter, LeadOrigin::Campaign(campaign.id)))
                        .copied()
                        .unwrap_or((0, 0));
                    let name = campaign.name.clone();
                    lines.push(lead_line(
                        Some(campaign.id),
                        campaign.channel,
                        name,
                        actual,
                        elapsed,
                        &mut rng,
                    ));
                }
                for source in sources.iter() {
                    let key = (*quarter, LeadOrigin::Source(source.to_string()));
                    let Some(actual) = actuals.get(&key).copied() else {
                        continue;
                    };
                    let label = source_label(source).to_string();
                    lines.push(lead_line(None, source, label, actual, elapsed, &mut rng));
                }
                if lines.is_empty() {
                    break;
                }
                let at = if version == 1 {
                    first
                } else {
                    first + rng.between(25, 40) * DAY
                };
                if at > clock.today || at >= ends {
                    break;
                }
                submissions.push(Submission {
                    user: member.id,
                    kind: "leads",
                    quarter: *quarter,
                    version,
                    at,
                    note: if version == 1 {
                        rng.pick(LEAD_NOTES)
                    } else {
                        "Updated after the first month's results"
                    },
                    lines,
                });
            }
        }
    }
    submissions.sort_by_key(|s| s.at);
    let total = submissions.len() as u64;
    let mut tx = sim.db.begin_write().await?;
    let mut lines = Vec::new();
    for (n, submission) in submissions.iter().enumerate() {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO forecasts (user_id, kind, quarter, version, submitted_by, submitted_at, note)
             VALUES ($1, $2, $3, $4, $1, $5, $6) RETURNING id",
        )
        .bind(submission.user)
        .bind(submission.kind)
        .bind(submission.quarter.to_string())
        .bind(submission.version)
        .bind(submission.at)
        .bind(submission.note)
        .fetch_one(&mut *tx)
        .await?;
        lines.extend(submission.lines.iter().map(|line| {
            vec![
                id.into(),
                line.opportunity.into(),
                line.account.into(),
                line.campaign.into(),
                line.channel.into(),
                line.description.as_str().into(),
                line.category.into(),
                line.amount.into(),
                CURRENCY.into(),
                line.leads.into(),
                line.mqls.into(),
            ]
        }));
        progress("forecasts", n as u64 + 1, total);
    }
    insert_rows::<(i64,)>(
        &mut tx,
        "INSERT INTO forecast_lines (forecast_id, opportunity_id, account_id, campaign_id, channel, description,
             category, amount_minor, currency, leads, mqls)",
        "",
        &lines,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Work items and leads, written at the demo's time
// ---------------------------------------------------------------------------

/// One line of a work item's assignment history.
struct Handover<'r> {
    item: i64,
    action: &'r str,
    from_user: Option<i64>,
    to_user: Option<i64>,
    to_queue: Option<i64>,
    reason: &'r str,
    actor: Option<i64>,
    at: i64,
}

async fn record(tx: &mut Transaction<'static, Any>, handover: &Handover<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO assignment_history (work_item_id, action, from_user_id, to_user_id, to_queue_id, reason,
             actor_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(handover.item)
    .bind(handover.action)
    .bind(handover.from_user)
    .bind(handover.to_user)
    .bind(handover.to_queue)
    .bind(handover.reason)
    .bind(handover.actor)
    .bind(handover.at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What `Db::accept_work_item` writes, at the demo's time.
async fn accept_item(
    tx: &mut Transaction<'static, Any>,
    item: i64,
    user: i64,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE work_items SET status = 'accepted', first_touched_at = $1, updated_at = $1 WHERE id = $2",
    )
    .bind(at)
    .bind(item)
    .execute(&mut **tx)
    .await?;
    let handover = Handover {
        item,
        action: "accepted",
        from_user: Some(user),
        to_user: Some(user),
        to_queue: None,
        reason: "accepted by the assignee",
        actor: Some(user),
        at,
    };
    record(tx, &handover).await
}

/// Marks a work item done, its outcome as the reason.
async fn close_item(
    tx: &mut Transaction<'static, Any>,
    item: i64,
    user: i64,
    reason: &str,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE work_items SET status = 'done', updated_at = $1 WHERE id = $2")
        .bind(at)
        .bind(item)
        .execute(&mut **tx)
        .await?;
    let handover = Handover {
        item,
        action: "done",
        from_user: Some(user),
        to_user: None,
        to_queue: None,
        reason,
        actor: Some(user),
        at,
    };
    record(tx, &handover).await
}

/// Moves a lead to `to` when it is in one of `from` (any when empty), as
/// the real stage changes do, at the demo's time.
async fn move_lead(
    tx: &mut Transaction<'static, Any>,
    lead: i64,
    from: &[Stage],
    to: Stage,
    reason: &str,
    actor: Option<i64>,
    at: i64,
) -> Result<()> {
    let (current,): (String,) = sqlx::query_as("SELECT stage FROM leads WHERE id = $1")
        .bind(lead)
        .fetch_one(&mut **tx)
        .await?;
    if current == to.as_str() || (!from.is_empty() && !from.iter().any(|s| s.as_str() == current)) {
        return Ok(());
    }
    sqlx::query("UPDATE leads SET stage = $1, updated_at = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(at)
        .bind(lead)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO lead_stage_history (lead_id, from_stage, to_stage, reason, actor_id, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(lead)
    .bind(&current)
    .bind(to.as_str())
    .bind(reason)
    .bind(actor)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn summarise(db: &Db) -> Result<DemoSummary> {
    Ok(DemoSummary {
        users: count_rows(db, "users").await?,
        accounts: count_rows(db, "accounts").await?,
        contacts: count_rows(db, "contacts").await?,
        inquiries: count_rows(db, "inquiries").await?,
        leads: count_rows(db, "leads").await?,
        work_items: count_rows(db, "work_items").await?,
        opportunities: count_rows(db, "opportunities").await?,
        activities: count_rows(db, "activities").await?,
        forecasts: count_rows(db, "forecasts").await?,
    })
}

/// Rows in `table`, one of the fixed names above.
pub(crate) async fn count_rows(db: &Db, table: &str) -> Result<u64> {
    let (count,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.reader())
        .await?;
    Ok(count as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::domain::Intent;
    use baton_core::inquiry::InquiryInput;
    use baton_core::intake::decode_form;
    use baton_core::triage::{MatchedAccount, classify};

    /// Monday 15 June 2026, 14:00 UTC.
    const TODAY: i64 = 1_781_532_000_000;

    #[test]
    fn a_better_prospect_has_a_better_fit() {
        let author = |employees, title: Option<&str>, email: &str| Author {
            first: "Dana".into(),
            last: "Reyes".into(),
            email: email.into(),
            phone: None,
            title: title.map(String::from),
            company: Some(Company {
                name: "Initech".into(),
                domain: None,
                industry: 0,
                employees,
                city: 0,
            }),
        };
        let vp = DECISION_MAKER_TITLES[0];
        let best = fit(&author(1200, Some(vp), "dana@initech.example"), 12);
        let big = fit(&author(1200, None, "dana@initech.example"), 2);
        let small = fit(&author(20, None, "dana@initech.example"), 2);
        let student = fit(&author(20, None, &format!("dana@{}", FREE_MAIL[0])), 0);
        assert!(
            best > big && big > small && small > student,
            "{best} {big} {small} {student}"
        );
        // Qualifiers pass 45 in 100 at a fit of 1.
        assert!(best > 1.0 && student < 1.0);
    }

    fn words() -> Vec<(&'static str, String)> {
        let clock = Clock::new(TODAY).unwrap();
        let mut rng = Rng::derive(1, 0, 0);
        let company = "Pine Ridge Fabrication".to_string();
        let author = stranger(&mut rng, company, MANUFACTURING, 400, false, MANAGER_TITLES);
        placeholder_words(&clock, &author, TODAY - 90 * DAY, &mut rng)
    }

    #[test]
    fn the_random_stream_never_changes() {
        // Changing it would change every demo made from the same seed.
        let mut rng = Rng::derive(42, TAG_INQUIRY, 7);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        let mut again = Rng::derive(42, TAG_INQUIRY, 7);
        assert_eq!(first, (0..3).map(|_| again.next_u64()).collect::<Vec<_>>());
        assert_eq!(first[0], 10_588_103_369_013_896_557);
        assert_ne!(Rng::derive(42, TAG_INQUIRY, 8).next_u64(), first[0]);
        assert!((0..1000).all(|_| (3..=9).contains(&rng.between(3, 9))));
    }

    #[test]
    fn triage_reads_each_text_as_its_writer_meant() {
        let words = words();
        let customer = MatchedAccount {
            name: "Pine Ridge Fabrication".into(),
            status: AccountStatus::Customer,
        };
        let cases: &[(Texts, &[&str], Intent, bool)] = &[
            (
                NEW_BUSINESS,
                NEW_BUSINESS_EXTRAS,
                Intent::NewBusiness,
                false,
            ),
            (VAGUE, &[], Intent::NewBusiness, false),
            (PHONE_NOTES, &[], Intent::NewBusiness, false),
            (BOOTH_NOTES, &[], Intent::NewBusiness, false),
            (WEBINAR_NOTES, &[], Intent::NewBusiness, false),
            (RFP, RFP_EXTRAS, Intent::Rfp, false),
            (CUSTOMER_REQUESTS, &[], Intent::CustomerRequest, true),
            (SUPPORT, &[], Intent::Support, true),
            (BILLING, &[], Intent::Billing, true),
            (COLLECTIONS, &[], Intent::Collections, true),
            (PARTNERS, &[], Intent::Other, false),
            (JOB_SEEKERS, &[], Intent::Other, false),
            (VENDOR_PITCHES, &[], Intent::Other, false),
        ];
        let mut misread = Vec::new();
        for (texts, extras, expected, from_customer) in cases {
            for (subject, text) in texts.iter() {
                let endings = std::iter::once("").chain(extras.iter().copied());
                for extra in endings {
                    let message = format!("{} {}", fill(text, &words), fill(extra, &words));
                    assert!(!message.contains('{'), "unfilled: {message}");
                    let subject = fill(subject, &words);
                    let inquiry = Inquiry::parse(&InquiryInput {
                        email: Some("pat.quinn@pineridgefabrication.example".into()),
                        message: Some(message.clone()),
                        fields: [("subject".to_string(), Value::from(subject))].into(),
                        ..Default::default()
                    })
                    .unwrap();
                    let account = from_customer.then_some(&customer);
                    let read = classify(&inquiry, account).value;
                    if read != *expected {
                        misread.push(format!("{read} instead of {expected}: {message}"));
                    }
                }
            }
        }
        assert!(misread.is_empty(), "{misread:#?}");
    }

    #[test]
    fn form_bodies_decode_to_what_was_filled_in() {
        let envelope = Envelope {
            name: "Dana O'Connor".into(),
            email: "dana.oconnor@harborlinefreight.example".into(),
            phone: Some("+1 312 555 0147".into()),
            company: Some("Harborline Freight".into()),
            title: None,
            message: "Pricing for 40 seats & a demo? 100% interested.".into(),
            source: "website".into(),
            campaign: Some("Paid search – maintenance software (always on)".into()),
            fields: vec![
                ("company_size", Value::from("501-1,000")),
                ("pages_viewed", Value::from(7)),
            ],
        };
        let human = decode_form(&envelope.form(""));
        assert!(!human.honeypot_filled);
        assert_eq!(human.input.name.as_deref(), Some("Dana O'Connor"));
        assert_eq!(
            human.input.message.as_deref(),
            Some(envelope.message.as_str())
        );
        assert_eq!(human.input.campaign, envelope.campaign);
        assert_eq!(human.input.fields["company_size"], "501-1,000");
        assert_eq!(human.input.fields["pages_viewed"], "7");
        assert!(decode_form(&envelope.form("http://trafficsurge.biz")).honeypot_filled);
    }

    #[test]
    fn money_and_counts_read_naturally() {
        assert_eq!(dollars_text(1_248_000), "$12,480.00");
        assert_eq!(dollars_text(99_95), "$99.95");
        assert_eq!(hundreds_of_dollars(12_449.0), 1_240_000);
        assert_eq!(plural(1, "site"), "site");
        assert_eq!(plural(3, "site"), "sites");
        assert_eq!(size_band(950), "501-1,000");
    }
}
