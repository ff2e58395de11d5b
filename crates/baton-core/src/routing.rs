//! Where an inquiry goes: ordered rules pick a queue (a tier), then the
//! queue's strategy picks a member among those present, skilled and under
//! their capacity cap.

use crate::decision::Reason;
use crate::domain::{AccountStatus, Grade, Intent, Strategy, Tier};
use serde::{Deserialize, Serialize};

/// What routing may look at for one inquiry.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingFacts {
    pub quarantined: bool,
    pub intent: Intent,
    /// The intent is a model's guess below the confidence it may act on.
    pub intent_uncertain: bool,
    pub grade: Grade,
    pub source: Option<String>,
    pub account_status: Option<AccountStatus>,
    pub account_tier: Option<Tier>,
}

/// A rule's condition: every list that is not empty must contain the fact.
/// Read only from a JSON object: serde would also read an array, by
/// position, so `[]` would pass as the condition that always holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct Condition {
    pub quarantined: Option<bool>,
    pub intents: Vec<Intent>,
    pub grades: Vec<Grade>,
    pub sources: Vec<String>,
    pub account_statuses: Vec<AccountStatus>,
    pub account_tiers: Vec<Tier>,
}

impl Serialize for Condition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Condition::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = serde_json::Map::deserialize(deserializer)?;
        Condition::deserialize(serde_json::Value::Object(object)).map_err(serde::de::Error::custom)
    }
}

impl Condition {
    /// A condition written as the API takes it, a JSON object such as
    /// `{"intents": ["billing"], "grades": ["A"]}` (grades in either case); blank text is the
    /// condition that always holds.
    pub fn parse(text: &str) -> Result<Condition, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Condition::default());
        }
        serde_json::from_str(text).map_err(|e| {
            format!(
                r#"not a condition ({e}); write a JSON object such as {{"intents": ["billing"]}}"#
            )
        })
    }

    /// The condition as `parse` reads it, naming only the facts it looks at.
    pub fn written(&self) -> String {
        let mut object = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(object)) => object,
            _ => return "{}".into(),
        };
        object.retain(|_, value| match value {
            serde_json::Value::Null => false,
            serde_json::Value::Array(values) => !values.is_empty(),
            _ => true,
        });
        serde_json::Value::Object(object).to_string()
    }

    fn matches(&self, facts: &RoutingFacts) -> bool {
        fn within<T: PartialEq>(list: &[T], value: Option<&T>) -> bool {
            list.is_empty() || value.is_some_and(|v| list.contains(v))
        }
        self.quarantined.is_none_or(|q| q == facts.quarantined)
            && within(&self.intents, Some(&facts.intent))
            && within(&self.grades, Some(&facts.grade))
            && (self.sources.is_empty()
                || facts
                    .source
                    .as_ref()
                    .is_some_and(|s| self.sources.iter().any(|x| x.eq_ignore_ascii_case(s))))
            && within(&self.account_statuses, facts.account_status.as_ref())
            && within(&self.account_tiers, facts.account_tier.as_ref())
    }
}

/// A short digest of rules as they stand (one, or all in order): a change
/// made from a page that showed them is refused once they differ.
pub fn fingerprint<T: Serialize + ?Sized>(rules: &T) -> String {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_vec(rules).unwrap_or_default();
    Sha256::digest(text)
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One routing rule: when the condition holds, the inquiry goes to `queue`
/// (a queue slug), or to no queue at all when `queue` is `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    pub condition: Condition,
    pub queue: Option<String>,
    /// Skills the member who takes the item must have (a language, a product line).
    #[serde(default)]
    pub skills: Vec<String>,
    /// A disabled rule stays in its place but matches nothing.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// The queue chosen for an inquiry, and by which rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteDecision {
    pub queue: Option<String>,
    pub rule: Option<String>,
    /// Skills the assignee must have.
    pub skills: Vec<String>,
    pub reasons: Vec<Reason>,
}

/// The queues every new organisation starts with, from the article's tiers:
/// (slug, name, owning function).
pub const DEFAULT_QUEUES: &[(&str, &str, &str)] = &[
    ("nurture", "Nurture (marketing)", "marketing"),
    ("qualification", "Qualification", "qualification"),
    ("hunters", "Hunters (new business)", "hunting"),
    ("farmers", "Farmers (existing accounts)", "farming"),
    ("service", "Service", "service"),
    (
        "operations",
        "Operations (billing and collections)",
        "operations",
    ),
];

/// The default, editable rules, in order.
pub fn default_rules() -> Vec<Rule> {
    let rule = |name: &str, condition: Condition, queue: Option<&str>| Rule {
        name: name.to_string(),
        condition,
        queue: queue.map(String::from),
        skills: Vec::new(),
        enabled: true,
    };
    vec![
        rule(
            "Quarantined inquiries wait for moderation",
            Condition {
                quarantined: Some(true),
                ..Default::default()
            },
            None,
        ),
        rule(
            "Billing and collections go to operations",
            Condition {
                intents: vec![Intent::Billing, Intent::Collections],
                ..Default::default()
            },
            Some("operations"),
        ),
        rule(
            "Support issues go to service",
            Condition {
                intents: vec![Intent::Support],
                ..Default::default()
            },
            Some("service"),
        ),
        rule(
            "Customer requests go to farmers",
            Condition {
                intents: vec![Intent::CustomerRequest],
                ..Default::default()
            },
            Some("farmers"),
        ),
        rule(
            "Anything else from a customer account goes to farmers",
            Condition {
                account_statuses: vec![AccountStatus::Customer],
                ..Default::default()
            },
            Some("farmers"),
        ),
        rule(
            "Requests for proposal go to hunters",
            Condition {
                intents: vec![Intent::Rfp],
                ..Default::default()
            },
            Some("hunters"),
        ),
        rule(
            "Grade A new business goes to hunters",
            Condition {
                intents: vec![Intent::NewBusiness],
                grades: vec![Grade::A],
                ..Default::default()
            },
            Some("hunters"),
        ),
        rule(
            "Grade B new business is qualified first",
            Condition {
                intents: vec![Intent::NewBusiness],
                grades: vec![Grade::B],
                ..Default::default()
            },
            Some("qualification"),
        ),
        rule(
            "Grade C and D new business is nurtured by marketing",
            Condition {
                intents: vec![Intent::NewBusiness],
                grades: vec![Grade::C, Grade::D],
                ..Default::default()
            },
            Some("nurture"),
        ),
    ]
}

/// Version recorded on routing decisions made by these rules.
pub const RULES_VERSION: &str = "rules-1";

/// The queue for inquiries no rule claims: a person decides.
pub const FALLBACK_QUEUE: &str = "qualification";

/// The fallback queue, for the reason given.
fn to_fallback(code: &str, why: &str) -> RouteDecision {
    RouteDecision {
        queue: Some(FALLBACK_QUEUE.to_string()),
        rule: None,
        skills: Vec::new(),
        reasons: vec![Reason::new(
            code,
            0.0,
            format!("{why}, so a person in {FALLBACK_QUEUE} decides"),
        )],
    }
}

/// Applies the first matching rule; with none, the fallback queue. An
/// uncertain intent goes to the fallback queue before any rule is asked:
/// a guess must not send it to the wrong team. A customer's, though, is
/// routed as a customer request: the qualifiers of new prospects are the
/// wrong team for a customer, whose own team reads what they meant.
pub fn route(facts: &RoutingFacts, rules: &[Rule]) -> RouteDecision {
    if facts.intent_uncertain && !facts.quarantined {
        if facts.account_status == Some(AccountStatus::Customer) {
            let as_request = RoutingFacts {
                intent: Intent::CustomerRequest,
                intent_uncertain: false,
                ..facts.clone()
            };
            let mut decision = route(&as_request, rules);
            decision.reasons.insert(
                0,
                Reason::new(
                    "uncertain_customer_intent",
                    0.0,
                    format!(
                        "the intent ({}) is uncertain and the sender is at a customer account, \
                         so it is routed as a customer request",
                        facts.intent
                    ),
                ),
            );
            return decision;
        }
        return to_fallback(
            "uncertain_intent",
            &format!("the intent ({}) is uncertain", facts.intent),
        );
    }
    match rules
        .iter()
        .find(|r| r.enabled && r.condition.matches(facts))
    {
        Some(rule) => {
            let mut text = match &rule.queue {
                Some(q) => format!("rule “{}” sends it to {q}", rule.name),
                None => format!("rule “{}” keeps it out of every queue", rule.name),
            };
            if !rule.skills.is_empty() {
                text.push_str(&format!(
                    ", to someone who knows {}",
                    rule.skills.join(" and ")
                ));
            }
            RouteDecision {
                queue: rule.queue.clone(),
                rule: Some(rule.name.clone()),
                skills: rule.skills.clone(),
                reasons: vec![Reason::new("rule", 1.0, text)],
            }
        }
        None => to_fallback("no_rule", "no rule matched"),
    }
}

/// A queue member as the strategy sees them at the moment of assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub user_id: i64,
    /// Position in the queue's member order (round robin follows it).
    pub position: i64,
    pub open_items: u32,
    /// Most open items this member takes; `None` means no cap.
    pub capacity: Option<u32>,
    pub weight: u32,
    /// Items this member has received from the queue, ever.
    pub assigned_total: u64,
    pub away: bool,
    pub skills: Vec<String>,
}

/// Why nobody could take the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoCandidate {
    NoMembers,
    AllAway,
    NoSkill,
    AllFull,
}

impl NoCandidate {
    pub fn describe(self) -> &'static str {
        match self {
            NoCandidate::NoMembers => "the queue has no members",
            NoCandidate::AllAway => "every member is away",
            NoCandidate::NoSkill => "no member present has the skills needed",
            NoCandidate::AllFull => "every member is at capacity",
        }
    }
}

/// Picks the member who gets the next item. `last_position` is the position of
/// the member who got the previous one, for round robin.
pub fn pick_member<'a>(
    strategy: Strategy,
    candidates: &'a [Candidate],
    last_position: Option<i64>,
    required_skills: &[String],
) -> Result<&'a Candidate, NoCandidate> {
    if candidates.is_empty() {
        return Err(NoCandidate::NoMembers);
    }
    let present: Vec<&Candidate> = candidates.iter().filter(|c| !c.away).collect();
    if present.is_empty() {
        return Err(NoCandidate::AllAway);
    }
    let skilled: Vec<&Candidate> = present
        .into_iter()
        .filter(|c| {
            required_skills
                .iter()
                .all(|s| c.skills.iter().any(|k| k.eq_ignore_ascii_case(s)))
        })
        .collect();
    if skilled.is_empty() {
        return Err(NoCandidate::NoSkill);
    }
    let mut open: Vec<&Candidate> = skilled
        .into_iter()
        .filter(|c| c.capacity.is_none_or(|cap| c.open_items < cap))
        .collect();
    if open.is_empty() {
        return Err(NoCandidate::AllFull);
    }
    open.sort_by_key(|c| c.position);
    let chosen = match strategy {
        Strategy::RoundRobin => {
            let after = last_position.unwrap_or(i64::MIN);
            open.iter().find(|c| c.position > after).unwrap_or(&open[0])
        }
        Strategy::LeastLoaded => open
            .iter()
            .min_by_key(|c| (c.open_items, c.assigned_total, c.position))
            .expect("open is not empty"),
        // Each member's share of items follows their weight: the one furthest
        // below their share gets the next item.
        Strategy::Weighted => open
            .iter()
            .min_by(|a, b| {
                let share =
                    |c: &Candidate| (c.assigned_total + 1) as f64 / f64::from(c.weight.max(1));
                share(a)
                    .total_cmp(&share(b))
                    .then(a.position.cmp(&b.position))
            })
            .expect("open is not empty"),
    };
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(intent: Intent, grade: Grade) -> RoutingFacts {
        RoutingFacts {
            quarantined: false,
            intent,
            intent_uncertain: false,
            grade,
            source: None,
            account_status: None,
            account_tier: None,
        }
    }

    fn member(user_id: i64) -> Candidate {
        Candidate {
            user_id,
            position: user_id,
            open_items: 0,
            capacity: None,
            weight: 1,
            assigned_total: 0,
            away: false,
            skills: vec![],
        }
    }

    #[test]
    fn default_rules_follow_the_article_tiers() {
        let rules = default_rules();
        let queue = |f: RoutingFacts| route(&f, &rules).queue;
        assert_eq!(
            queue(facts(Intent::Billing, Grade::A)).as_deref(),
            Some("operations")
        );
        assert_eq!(
            queue(facts(Intent::Collections, Grade::D)).as_deref(),
            Some("operations")
        );
        assert_eq!(
            queue(facts(Intent::Support, Grade::B)).as_deref(),
            Some("service")
        );
        assert_eq!(
            queue(facts(Intent::CustomerRequest, Grade::C)).as_deref(),
            Some("farmers")
        );
        assert_eq!(
            queue(facts(Intent::Rfp, Grade::D)).as_deref(),
            Some("hunters")
        );
        assert_eq!(
            queue(facts(Intent::NewBusiness, Grade::A)).as_deref(),
            Some("hunters")
        );
        assert_eq!(
            queue(facts(Intent::NewBusiness, Grade::B)).as_deref(),
            Some("qualification")
        );
        assert_eq!(
            queue(facts(Intent::NewBusiness, Grade::C)).as_deref(),
            Some("nurture")
        );
        assert_eq!(
            queue(facts(Intent::NewBusiness, Grade::D)).as_deref(),
            Some("nurture")
        );
        let mut from_customer = facts(Intent::Other, Grade::D);
        from_customer.account_status = Some(AccountStatus::Customer);
        assert_eq!(queue(from_customer).as_deref(), Some("farmers"));
        let mut spam = facts(Intent::Rfp, Grade::A);
        spam.quarantined = true;
        assert_eq!(queue(spam), None);
    }

    #[test]
    fn an_uncertain_intent_goes_to_qualification_before_any_rule() {
        let uncertain = RoutingFacts {
            intent_uncertain: true,
            ..facts(Intent::Support, Grade::A)
        };
        let decision = route(&uncertain, &default_rules());
        assert_eq!(decision.queue.as_deref(), Some(FALLBACK_QUEUE));
        assert_eq!(decision.reasons[0].code, "uncertain_intent");
        let certain = route(&facts(Intent::Support, Grade::A), &default_rules());
        assert_eq!(certain.queue.as_deref(), Some("service"));
    }

    #[test]
    fn a_customers_uncertain_intent_goes_to_the_customers_team_not_to_qualification() {
        for intent in [Intent::Support, Intent::Billing, Intent::NewBusiness] {
            let customer = RoutingFacts {
                intent_uncertain: true,
                account_status: Some(AccountStatus::Customer),
                ..facts(intent, Grade::C)
            };
            let decision = route(&customer, &default_rules());
            assert_eq!(decision.queue.as_deref(), Some("farmers"), "{intent}");
            assert_eq!(decision.reasons[0].code, "uncertain_customer_intent");
            assert_eq!(decision.reasons[1].code, "rule");
        }
        let prospect = RoutingFacts {
            intent_uncertain: true,
            account_status: Some(AccountStatus::Prospect),
            ..facts(Intent::Support, Grade::C)
        };
        assert_eq!(
            route(&prospect, &default_rules()).queue.as_deref(),
            Some(FALLBACK_QUEUE)
        );
    }

    #[test]
    fn a_written_condition_reads_back_the_same() {
        for rule in default_rules() {
            let written = rule.condition.written();
            assert_eq!(Condition::parse(&written), Ok(rule.condition), "{written}");
        }
        assert_eq!(Condition::default().written(), "{}");
        assert_eq!(Condition::parse("  "), Ok(Condition::default()));
        assert_eq!(
            Condition {
                grades: vec![Grade::A, Grade::B],
                quarantined: Some(false),
                ..Default::default()
            }
            .written(),
            r#"{"grades":["A","B"],"quarantined":false}"#
        );
        // Grades are read in either case, as rules stored before were written.
        assert_eq!(
            Condition::parse(r#"{"grades": ["a", "B"]}"#).map(|c| c.grades),
            Ok(vec![Grade::A, Grade::B])
        );
    }

    #[test]
    fn a_condition_with_an_unknown_fact_or_value_is_refused_with_the_reason() {
        let unknown_value = Condition::parse(r#"{"intents": ["bill"]}"#).unwrap_err();
        assert!(
            unknown_value.contains("unknown variant `bill`"),
            "{unknown_value}"
        );
        let unknown_key = Condition::parse(r#"{"intent": ["billing"]}"#).unwrap_err();
        assert!(
            unknown_key.contains("unknown field `intent`"),
            "{unknown_key}"
        );
        assert!(Condition::parse("intent is billing").is_err());
        for not_an_object in ["[]", "[null]", "true", "\"billing\""] {
            let refused = Condition::parse(not_an_object).unwrap_err();
            assert!(
                refused.contains("expected a map"),
                "{not_an_object}: {refused}"
            );
        }
        let in_a_rule =
            serde_json::from_str::<Rule>(r#"{"name": "all", "condition": [], "queue": null}"#);
        assert!(in_a_rule.is_err(), "{in_a_rule:?}");
    }

    #[test]
    fn a_disabled_rule_is_passed_over() {
        let mut rules = default_rules();
        let support = rules
            .iter_mut()
            .find(|r| r.queue.as_deref() == Some("service"))
            .unwrap();
        support.enabled = false;
        let d = route(&facts(Intent::Support, Grade::A), &rules);
        assert_eq!(d.queue.as_deref(), Some(FALLBACK_QUEUE));
        assert_eq!(d.reasons[0].code, "no_rule");
    }

    #[test]
    fn an_unclaimed_inquiry_falls_back_to_qualification() {
        let d = route(&facts(Intent::Other, Grade::C), &default_rules());
        assert_eq!(d.queue.as_deref(), Some(FALLBACK_QUEUE));
        assert_eq!(d.reasons[0].code, "no_rule");
    }

    #[test]
    fn round_robin_goes_around_and_skips_full_and_away_members() {
        let mut members = vec![member(1), member(2), member(3)];
        assert_eq!(
            pick_member(Strategy::RoundRobin, &members, None, &[])
                .unwrap()
                .user_id,
            1
        );
        assert_eq!(
            pick_member(Strategy::RoundRobin, &members, Some(1), &[])
                .unwrap()
                .user_id,
            2
        );
        assert_eq!(
            pick_member(Strategy::RoundRobin, &members, Some(3), &[])
                .unwrap()
                .user_id,
            1
        );
        members[1].capacity = Some(2);
        members[1].open_items = 2;
        members[2].away = true;
        assert_eq!(
            pick_member(Strategy::RoundRobin, &members, Some(1), &[])
                .unwrap()
                .user_id,
            1
        );
    }

    #[test]
    fn nobody_available_says_why() {
        let mut members = vec![member(1)];
        assert_eq!(
            pick_member(Strategy::RoundRobin, &[], None, &[]),
            Err(NoCandidate::NoMembers)
        );
        members[0].capacity = Some(0);
        assert_eq!(
            pick_member(Strategy::LeastLoaded, &members, None, &[]),
            Err(NoCandidate::AllFull)
        );
        members[0].away = true;
        assert_eq!(
            pick_member(Strategy::LeastLoaded, &members, None, &[]),
            Err(NoCandidate::AllAway)
        );
        members[0].away = false;
        let german = vec!["german".to_string()];
        assert_eq!(
            pick_member(Strategy::Weighted, &members, None, &german),
            Err(NoCandidate::NoSkill)
        );
    }

    #[test]
    fn least_loaded_picks_the_emptiest_desk() {
        let mut members = vec![member(1), member(2)];
        members[0].open_items = 5;
        members[1].open_items = 2;
        assert_eq!(
            pick_member(Strategy::LeastLoaded, &members, None, &[])
                .unwrap()
                .user_id,
            2
        );
    }

    #[test]
    fn weighted_shares_follow_weights() {
        let mut members = vec![member(1), member(2)];
        members[0].weight = 3;
        let mut counts = [0u32; 2];
        for _ in 0..400 {
            let picked = pick_member(Strategy::Weighted, &members, None, &[])
                .unwrap()
                .user_id;
            let i = (picked - 1) as usize;
            counts[i] += 1;
            members[i].assigned_total += 1;
        }
        assert_eq!(counts, [300, 100]);
    }

    #[test]
    fn skills_narrow_the_candidates() {
        let mut members = vec![member(1), member(2)];
        members[1].skills = vec!["German".into()];
        let german = vec!["german".to_string()];
        assert_eq!(
            pick_member(Strategy::RoundRobin, &members, None, &german)
                .unwrap()
                .user_id,
            2
        );
    }
}
