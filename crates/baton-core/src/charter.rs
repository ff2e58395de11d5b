//! The charter: which function owns each activity of the business, and what
//! is expected of it. The default is built from the article's two lists.

use crate::domain::Function;

/// One row of the responsibility matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityType {
    pub slug: &'static str,
    pub name: &'static str,
    pub function: Function,
    pub expectation: &'static str,
}

/// The charter every new organisation starts with; the owner edits it.
pub fn default_activity_types() -> Vec<ActivityType> {
    use Function::*;
    let row = |slug, name, function, expectation| ActivityType {
        slug,
        name,
        function,
        expectation,
    };
    vec![
        row(
            "sales_material",
            "Sales material",
            Marketing,
            "refreshed every quarter",
        ),
        row("direct_mail", "Direct mail", Marketing, "per campaign plan"),
        row(
            "website",
            "Website",
            Marketing,
            "inquiry forms answered by the intake pipeline",
        ),
        row(
            "lead_generation",
            "Generating leads",
            Marketing,
            "lead forecast met each quarter",
        ),
        row("social_media", "Social media", Marketing, "weekly"),
        row(
            "customer_communications",
            "Communications with customers",
            Marketing,
            "monthly newsletter",
        ),
        row(
            "promotion",
            "Promotions and programs",
            Marketing,
            "per campaign plan",
        ),
        row(
            "awareness",
            "Increasing awareness",
            Marketing,
            "per campaign plan",
        ),
        row(
            "advertising",
            "Advertising campaigns",
            Marketing,
            "per campaign plan",
        ),
        row(
            "telemarketing",
            "Telemarketing campaigns",
            Marketing,
            "per campaign plan",
        ),
        row(
            "email_campaign",
            "E-mail campaigns",
            Marketing,
            "per campaign plan",
        ),
        row(
            "nurture",
            "Nurturing cold leads",
            Marketing,
            "every cold lead touched monthly",
        ),
        row(
            "qualification_call",
            "Pre-qualifying inbound leads",
            Qualification,
            "first touch within 4 business hours",
        ),
        row(
            "new_business",
            "Hunting for new business",
            Hunting,
            "pipeline target per quarter",
        ),
        row(
            "follow_up_lead",
            "Following up qualified leads",
            Hunting,
            "accept or reject within 1 business day",
        ),
        row("cold_call", "Cold calling", Hunting, "per call sheet"),
        row("networking", "Networking", Hunting, "two events a month"),
        row(
            "proposal",
            "Proposals and written communications",
            Hunting,
            "within 3 business days of request",
        ),
        row(
            "rfp_answer",
            "Securing and responding to RFPs",
            Hunting,
            "before the RFP deadline",
        ),
        row(
            "appointment",
            "Appointments with decision makers",
            Hunting,
            "weekly",
        ),
        row("meeting", "Meetings", Hunting, "logged the same day"),
        row("call", "Calls", Hunting, "logged the same day"),
        row("email", "E-mails", Hunting, "logged the same day"),
        row(
            "forecast",
            "Forecasting revenue from accounts, prospects and suspects",
            Hunting,
            "submitted in the quarter's first week",
        ),
        row(
            "account_visit",
            "Visiting and servicing existing customers",
            Farming,
            "every tier A account each quarter",
        ),
        row(
            "upsell",
            "Projecting new opportunities in accounts",
            Farming,
            "quarterly account plan",
        ),
        row("crm_update", "Keeping the CRM up to date", Farming, "daily"),
        row(
            "call_sheet",
            "Completing daily and weekly call sheets",
            Farming,
            "daily",
        ),
        row(
            "service_issue",
            "Solving customer issues",
            Service,
            "first response within 4 business hours",
        ),
        row(
            "billing_issue",
            "Solving billing issues",
            Operations,
            "resolved within 2 business days",
        ),
        row(
            "collections_call",
            "Chasing past-due accounts",
            Operations,
            "every past-due account weekly",
        ),
        row(
            "delivery",
            "Delivering orders",
            Operations,
            "on the promised date",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_charter_has_unique_slugs_and_covers_every_function() {
        let types = default_activity_types();
        let mut slugs: Vec<_> = types.iter().map(|t| t.slug).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), types.len());
        for function in Function::ALL {
            assert!(types.iter().any(|t| t.function == *function), "{function}");
        }
    }
}
