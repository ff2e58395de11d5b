//! What the pipeline's models read from an inquiry: one set of columns per
//! task and the row of values an inquiry gives them. Training from stored
//! inquiries and deciding new ones both go through here, so the two cannot
//! drift apart.

use super::features::ColumnRole;
use super::train::Task;
use crate::domain::{Channel, Intent};
use crate::inquiry::Inquiry;
use crate::moderation::count_links;

/// What the pipeline knows about an inquiry beyond its fields.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    /// The channel it arrived through.
    pub channel: Channel,
    /// The form's hidden field was filled in.
    pub honeypot_filled: bool,
    /// Its intent, once decided (conversion reads it).
    pub intent: Option<Intent>,
}

/// The columns of a task's rows, in order.
pub fn columns(task: Task) -> Vec<(String, ColumnRole)> {
    let named = |columns: &[(&str, ColumnRole)]| {
        columns
            .iter()
            .map(|(name, role)| (name.to_string(), *role))
            .collect()
    };
    use ColumnRole::{Tabular, Text};
    match task {
        Task::Spam => named(&[
            ("message", Text),
            ("sender domain", Tabular),
            ("channel", Tabular),
            ("honeypot", Tabular),
            ("links", Tabular),
            ("source", Tabular),
        ]),
        // What someone wants is in what they wrote: the channel it came
        // through says more about how a company's history was gathered.
        Task::Intent => named(&[("message", Text)]),
        Task::Conversion => named(&[
            ("title", Text),
            ("source", Tabular),
            ("channel", Tabular),
            ("intent", Tabular),
            ("company size", Tabular),
            ("industry", Tabular),
            ("company address", Tabular),
            ("company named", Tabular),
            ("phone given", Tabular),
            ("pages viewed", Tabular),
            ("message length", Tabular),
        ]),
    }
}

/// True when `model` reads the columns `task` gives today; one trained on
/// other columns must be trained again before it decides.
pub fn reads_columns_of(task: Task, model: &super::model::Model) -> bool {
    let names = model.features().columns().iter().map(|c| c.name.as_str());
    names.eq(columns(task).iter().map(|(name, _)| name.as_str()))
}

/// The values `inquiry` gives the columns of `task`, in order.
pub fn row(task: Task, inquiry: &Inquiry, known: &Known) -> Vec<String> {
    let yes_no = |flag: bool| if flag { "yes" } else { "no" }.to_string();
    let optional = |value: Option<&str>| value.unwrap_or_default().to_lowercase();
    match task {
        Task::Spam => vec![
            text(inquiry),
            optional(inquiry.email.as_ref().map(|email| email.domain())),
            known.channel.as_str().to_string(),
            yes_no(known.honeypot_filled),
            count_links(&inquiry.message).to_string(),
            optional(inquiry.source.as_deref()),
        ],
        Task::Intent => vec![text(inquiry)],
        Task::Conversion => vec![
            optional(inquiry.title.as_deref()),
            optional(inquiry.source.as_deref()),
            known.channel.as_str().to_string(),
            known
                .intent
                .map(Intent::as_str)
                .unwrap_or_default()
                .to_string(),
            ["company_size", "employees", "head_count"]
                .iter()
                .find_map(|key| inquiry.field_text(key))
                .and_then(|size| crate::scoring::parse_head_count(&size))
                .map(|size| size.to_string())
                .unwrap_or_default(),
            optional(inquiry.field_text("industry").as_deref()),
            yes_no(inquiry.company_domain().is_some()),
            yes_no(inquiry.company.is_some()),
            yes_no(inquiry.phone.is_some()),
            // A form's visitor may type anything; only a count is read.
            inquiry
                .field_text("pages_viewed")
                .and_then(|pages| pages.trim().parse::<u32>().ok())
                .map(|pages| pages.to_string())
                .unwrap_or_default(),
            inquiry.message.chars().count().to_string(),
        ],
    }
}

/// The subject and the message, as one text.
fn text(inquiry: &Inquiry) -> String {
    match inquiry.field_text("subject") {
        Some(subject) => format!("{subject}\n{}", inquiry.message),
        None => inquiry.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inquiry::InquiryInput;
    use crate::learn::train::train;

    #[test]
    fn a_model_trained_on_other_columns_is_not_read() {
        let messages = [["refund my invoice", "api"], ["the app is broken", "form"]];
        let y: Vec<usize> = (0..20).map(|i| i % 2).collect();
        let classes = vec!["billing".to_string(), "support".to_string()];
        let with_channel: Vec<&[&str]> = (0..20).map(|i| &messages[i % 2][..]).collect();
        let old = [
            ("message".to_string(), ColumnRole::Text),
            ("channel".to_string(), ColumnRole::Tabular),
        ];
        let stale = train(Task::Intent, &old, &with_channel, &y, classes.clone()).model;
        assert!(!reads_columns_of(Task::Intent, &stale));
        let words: Vec<&[&str]> = (0..20).map(|i| &messages[i % 2][..1]).collect();
        let current = train(Task::Intent, &columns(Task::Intent), &words, &y, classes).model;
        assert!(reads_columns_of(Task::Intent, &current));
    }

    #[test]
    fn every_task_gives_one_value_per_column() {
        let inquiry = Inquiry::parse(&InquiryInput {
            email: Some("ann@acme.io".into()),
            title: Some("CFO".into()),
            message: Some("Pricing please, see www.acme.io".into()),
            fields: [("subject".to_string(), serde_json::json!("Quote"))].into(),
            ..Default::default()
        })
        .unwrap();
        let known = Known {
            channel: Channel::Form,
            honeypot_filled: true,
            intent: Some(Intent::NewBusiness),
        };
        for task in [Task::Spam, Task::Intent, Task::Conversion] {
            assert_eq!(
                row(task, &inquiry, &known).len(),
                columns(task).len(),
                "{task:?}"
            );
        }
        let intent = row(Task::Intent, &inquiry, &known);
        assert_eq!(
            intent,
            ["Quote\nPricing please, see www.acme.io"],
            "words only"
        );
        let conversion = |pages: serde_json::Value| {
            let inquiry = Inquiry::parse(&InquiryInput {
                email: Some("ann@acme.io".into()),
                fields: [("pages_viewed".to_string(), pages)].into(),
                ..Default::default()
            })
            .unwrap();
            let at = columns(Task::Conversion)
                .iter()
                .position(|(name, _)| name == "pages viewed")
                .unwrap();
            row(Task::Conversion, &inquiry, &known)[at].clone()
        };
        assert_eq!(conversion(serde_json::json!(" 12 ")), "12");
        assert_eq!(conversion(serde_json::json!(7)), "7");
        // Anyone may type anything into a form: only a count is read.
        assert_eq!(conversion(serde_json::json!("lots")), "");
        let spam = row(Task::Spam, &inquiry, &known);
        assert_eq!(spam[0], "Quote\nPricing please, see www.acme.io");
        assert_eq!(&spam[1..5], ["acme.io", "form", "yes", "1"]);
    }
}
