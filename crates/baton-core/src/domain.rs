//! The vocabulary of the product: roles, lifecycle stages, intents, grades and
//! the other closed sets that every layer shares. Each parses from and prints to
//! the same lowercase slug, which is also what the database and the API store.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An unknown slug for one of the closed sets below.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of: {expected}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
    pub expected: String,
}

/// Declares a closed set of slugs with `as_str`, `ALL`, `FromStr`, `Display` and serde.
macro_rules! slug_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident => $slug:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The slug stored in the database and shown in the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $slug),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($slug => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        kind: $kind,
                        value: s.to_string(),
                        expected: [$($slug),+].join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

slug_enum!(
    /// What a person may do in Baton.
    Role, "role" {
        Owner => "owner",
        Manager => "manager",
        Marketer => "marketer",
        Qualifier => "qualifier",
        Hunter => "hunter",
        Farmer => "farmer",
        Service => "service",
        Operations => "operations",
    }
);

impl Role {
    /// Someone in this role, for a sentence: "an owner", "a hunter",
    /// "someone in operations"; capitalised to begin one.
    pub fn a_person(self, capitalised: bool) -> &'static str {
        let (lower, upper) = match self {
            Role::Owner => ("an owner", "An owner"),
            Role::Manager => ("a manager", "A manager"),
            Role::Marketer => ("a marketer", "A marketer"),
            Role::Qualifier => ("a qualifier", "A qualifier"),
            Role::Hunter => ("a hunter", "A hunter"),
            Role::Farmer => ("a farmer", "A farmer"),
            Role::Service => ("someone in service", "Someone in service"),
            Role::Operations => ("someone in operations", "Someone in operations"),
        };
        if capitalised { upper } else { lower }
    }

    /// Owners and managers see every team's work and configure queues and routing.
    pub fn is_manager(self) -> bool {
        matches!(self, Role::Owner | Role::Manager)
    }

    /// Whether people in this role hold accounts and deals: those who sell,
    /// and those who lead them.
    pub fn sells(self) -> bool {
        matches!(
            self,
            Role::Owner | Role::Manager | Role::Hunter | Role::Farmer
        )
    }

    /// The charter function a person in this role works for; owners and
    /// managers lead rather than work for one.
    pub fn function(self) -> Option<Function> {
        match self {
            Role::Owner | Role::Manager => None,
            Role::Marketer => Some(Function::Marketing),
            Role::Qualifier => Some(Function::Qualification),
            Role::Hunter => Some(Function::Hunting),
            Role::Farmer => Some(Function::Farming),
            Role::Service => Some(Function::Service),
            Role::Operations => Some(Function::Operations),
        }
    }
}

slug_enum!(
    /// The functions of the charter: who owns an activity.
    Function, "function" {
        Marketing => "marketing",
        Qualification => "qualification",
        Hunting => "hunting",
        Farming => "farming",
        Service => "service",
        Operations => "operations",
    }
);

impl Function {
    /// True when work passes between the two in the normal run of things:
    /// marketing, qualification, hunting and farming hand leads along one
    /// line of revenue; service and operations each keep their own work.
    pub fn same_line_as(self, other: Function) -> bool {
        let line = |f: Function| match f {
            Function::Service => 1,
            Function::Operations => 2,
            Function::Marketing
            | Function::Qualification
            | Function::Hunting
            | Function::Farming => 0,
        };
        line(self) == line(other)
    }
}

slug_enum!(
    /// Lifecycle stage of a lead.
    Stage, "stage" {
        New => "new",
        Nurture => "nurture",
        Mql => "mql",
        Sal => "sal",
        Sql => "sql",
        Opportunity => "opportunity",
        Customer => "customer",
        Disqualified => "disqualified",
    }
);

slug_enum!(
    /// What the person behind an inquiry wants.
    Intent, "intent" {
        NewBusiness => "new_business",
        Rfp => "rfp",
        CustomerRequest => "customer_request",
        Support => "support",
        Billing => "billing",
        Collections => "collections",
        Other => "other",
    }
);

slug_enum!(
    /// Letter grade of a 0–100 score: stored in lowercase like every slug,
    /// written A to D in the API and webhooks as people write it (and read
    /// in either case).
    Grade, "grade" {
        #[serde(rename = "A", alias = "a")]
        A => "a",
        #[serde(rename = "B", alias = "b")]
        B => "b",
        #[serde(rename = "C", alias = "c")]
        C => "c",
        #[serde(rename = "D", alias = "d")]
        D => "d",
    }
);

impl Grade {
    /// A (≥75), B (50–74), C (25–49), D (<25).
    pub fn from_score(score: u8) -> Grade {
        match score {
            75.. => Grade::A,
            50..=74 => Grade::B,
            25..=49 => Grade::C,
            _ => Grade::D,
        }
    }
}

slug_enum!(
    /// Moderation verdict on an inquiry.
    Verdict, "verdict" { Ham => "ham", Spam => "spam" }
);

slug_enum!(
    /// Where an inquiry stands after intake.
    InquiryStatus, "inquiry status" {
        /// Stored, processing not finished yet.
        Received => "received",
        Processed => "processed",
        NeedsAttention => "needs_attention",
        Quarantined => "quarantined",
        /// A moderator confirmed it as spam; kept, never deleted.
        Spam => "spam",
    }
);

slug_enum!(
    /// Value tier of an account.
    Tier, "tier" { A => "a", B => "b", C => "c" }
);

slug_enum!(
    /// How far an account is from buying.
    AccountStatus, "account status" {
        Suspect => "suspect",
        Prospect => "prospect",
        Customer => "customer",
    }
);

slug_enum!(
    /// How a queue picks the member who gets the next item.
    Strategy, "strategy" {
        RoundRobin => "round_robin",
        LeastLoaded => "least_loaded",
        Weighted => "weighted",
    }
);

slug_enum!(
    /// State of a work item in a queue.
    WorkStatus, "work item status" {
        /// Waiting for a member (all were full or away).
        Unassigned => "unassigned",
        Assigned => "assigned",
        Accepted => "accepted",
        Rejected => "rejected",
        Done => "done",
    }
);

impl WorkStatus {
    /// True while someone still has to work the item: it can be taken,
    /// accepted, rejected or handed on.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            WorkStatus::Unassigned | WorkStatus::Assigned | WorkStatus::Accepted
        )
    }
}

slug_enum!(
    /// Stage of an opportunity.
    OpportunityStage, "opportunity stage" {
        Prospecting => "prospecting",
        Engaging => "engaging",
        Proposal => "proposal",
        Negotiation => "negotiation",
        Won => "won",
        Lost => "lost",
    }
);

impl OpportunityStage {
    /// Won or lost: nothing more happens to the deal.
    pub fn is_closed(self) -> bool {
        matches!(self, OpportunityStage::Won | OpportunityStage::Lost)
    }

    /// Chance of winning, in percent, assumed for a deal in this stage.
    pub fn default_probability(self) -> u8 {
        match self {
            OpportunityStage::Prospecting => 10,
            OpportunityStage::Engaging => 25,
            OpportunityStage::Proposal => 50,
            OpportunityStage::Negotiation => 75,
            OpportunityStage::Won => 100,
            OpportunityStage::Lost => 0,
        }
    }

    /// Forecast category assumed for a deal in this stage.
    pub fn default_forecast_category(self) -> ForecastCategory {
        match self {
            OpportunityStage::Prospecting | OpportunityStage::Engaging => {
                ForecastCategory::Pipeline
            }
            OpportunityStage::Proposal => ForecastCategory::BestCase,
            OpportunityStage::Negotiation | OpportunityStage::Won => ForecastCategory::Commit,
            OpportunityStage::Lost => ForecastCategory::Omitted,
        }
    }
}

slug_enum!(
    /// How sure a rep is of a forecast line.
    ForecastCategory, "forecast category" {
        Commit => "commit",
        BestCase => "best_case",
        Pipeline => "pipeline",
        Omitted => "omitted",
    }
);

slug_enum!(
    /// What a forecast predicts: sales forecast revenue, marketing forecasts leads.
    ForecastKind, "forecast kind" {
        Revenue => "revenue",
        Leads => "leads",
    }
);

impl ForecastKind {
    /// Roles whose people submit this kind of forecast (owners submit any).
    pub fn submitters(self) -> &'static [Role] {
        match self {
            ForecastKind::Revenue => &[Role::Owner, Role::Manager, Role::Hunter, Role::Farmer],
            ForecastKind::Leads => &[Role::Owner, Role::Manager, Role::Marketer],
        }
    }
}

slug_enum!(
    /// Where an appointment stands.
    AppointmentStatus, "appointment status" {
        Scheduled => "scheduled",
        /// It took place.
        Held => "held",
        Cancelled => "cancelled",
    }
);

slug_enum!(
    /// How much time a call sheet covers.
    SheetPeriod, "call sheet period" {
        Day => "day",
        Week => "week",
    }
);

slug_enum!(
    /// Where an inquiry came in.
    Channel, "channel" {
        Api => "api",
        Form => "form",
        Email => "email",
        Import => "import",
        Manual => "manual",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_for_every_value() {
        for intent in Intent::ALL {
            assert_eq!(intent.as_str().parse::<Intent>().unwrap(), *intent);
        }
        for role in Role::ALL {
            assert_eq!(role.to_string().parse::<Role>().unwrap(), *role);
        }
    }

    #[test]
    fn unknown_slug_names_the_kind_and_the_choices() {
        let err = "wizard".parse::<Role>().unwrap_err();
        assert!(err.to_string().contains("unknown role `wizard`"));
        assert!(err.to_string().contains("hunter"));
    }

    #[test]
    fn closed_deals_are_certain_and_open_ones_grow_more_likely_by_stage() {
        let open: Vec<u8> = OpportunityStage::ALL
            .iter()
            .filter(|s| !s.is_closed())
            .map(|s| s.default_probability())
            .collect();
        assert!(open.windows(2).all(|w| w[0] < w[1]), "{open:?}");
        assert_eq!(OpportunityStage::Won.default_probability(), 100);
        assert_eq!(
            OpportunityStage::Lost.default_forecast_category(),
            ForecastCategory::Omitted
        );
    }

    #[test]
    fn grade_boundaries_follow_the_brief() {
        assert_eq!(Grade::from_score(100), Grade::A);
        assert_eq!(Grade::from_score(75), Grade::A);
        assert_eq!(Grade::from_score(74), Grade::B);
        assert_eq!(Grade::from_score(50), Grade::B);
        assert_eq!(Grade::from_score(49), Grade::C);
        assert_eq!(Grade::from_score(25), Grade::C);
        assert_eq!(Grade::from_score(24), Grade::D);
        assert_eq!(Grade::from_score(0), Grade::D);
    }
}
