//! Focus: the share of a person's activities that the charter in force
//! gives to another function than theirs (a hunter solving billing issues),
//! with the queue that work belongs in. Work on the person's own deals, and
//! on leads whose work they hold in a queue of their own function, is
//! theirs whatever its type: a farmer's proposal to grow an account is
//! farming even though the charter files proposals under hunting, and so is
//! the call a farmer makes from their call sheet on work in the farmers'
//! queue.

use super::{Counted, OwnLines, Period, activity_counts};
use crate::connect::Db;
use crate::error::Result;
use baton_core::domain::Function;
use serde::Serialize;
use std::collections::BTreeMap;

/// Work a person did that the charter gives to another function.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StrayWork {
    /// Activity type slug.
    #[serde(rename = "type")]
    pub type_slug: String,
    /// The function the charter gives it to.
    pub function: Function,
    pub activities: i64,
    /// Its share of all the person's activities.
    pub share: f64,
    /// The slug of the first queue serving that function, where such work
    /// belongs; absent when no queue serves it.
    pub suggested_queue: Option<String>,
}

/// One person's focus in the period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FocusRow {
    pub user_id: i64,
    pub name: String,
    /// The function their role works for.
    pub function: Function,
    pub activities: i64,
    /// Activities the charter gives to their own function, and any about
    /// one of their own deals: working one's deals is one's own job.
    pub own_function: i64,
    /// Activities the charter gives to another function.
    pub other_functions: i64,
    /// Other functions' activities over all activities.
    pub other_share: f64,
    /// Other functions' work by type, the most frequent first.
    pub stray: Vec<StrayWork>,
}

/// Focus for a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FocusReport {
    pub period: Period,
    /// The charter version that says which function owns each type (a
    /// type it no longer has: the last version that had it).
    pub charter_version: i64,
    /// Everyone whose role works for a function (owners and managers lead
    /// rather than work for one) and who logged an activity, the least
    /// focused first.
    pub rows: Vec<FocusRow>,
}

impl OwnLines for FocusReport {
    fn only_person(mut self, user: i64) -> FocusReport {
        self.rows.retain(|row| row.user_id == user);
        self
    }
}

impl Db {
    /// Each person's activities in `period` split by whose function they are.
    /// Activities about one of the person's own deals are their own work,
    /// whatever their type; a type the charter in force no longer has is
    /// judged by the last version that had it.
    pub async fn focus_report(&self, period: Period) -> Result<FocusReport> {
        let (starts, ends) = period.bounds(&self.time_zone().await?)?;
        let charter = self.current_charter().await?;
        // A type is judged by the charter in force, and one it no longer
        // has by the last version that had it: work done under an earlier
        // charter does not drop out of a person's focus.
        let owners: BTreeMap<String, Function> = self
            .activity_types_ever()
            .await?
            .into_iter()
            .map(|(slug, (_, function))| (slug, function))
            .collect();
        let queues: Vec<(String, String)> =
            sqlx::query_as("SELECT slug, function FROM queues ORDER BY id")
                .fetch_all(self.reader())
                .await?;
        let queue_for = |function: Function| {
            queues
                .iter()
                .find(|(_, f)| f == function.as_str())
                .map(|(slug, _)| slug.clone())
        };
        let people = self.people().await?;
        let mut counts: BTreeMap<i64, Vec<Counted>> = BTreeMap::new();
        for counted in activity_counts(self, starts, ends).await? {
            counts.entry(counted.user).or_default().push(counted);
        }
        let mut rows: Vec<FocusRow> = counts
            .into_iter()
            .filter_map(|(user_id, types)| {
                let function = people.function(user_id)?;
                let activities: i64 = types.iter().map(|c| c.count).sum();
                let share = |n: i64| n as f64 / activities as f64;
                let mut own_function = 0;
                let mut elsewhere: BTreeMap<String, (Function, i64)> = BTreeMap::new();
                for counted in types {
                    // Work held in a queue of one's own function is one's own.
                    let own_work =
                        counted.own_deal || counted.worked_in.as_deref() == Some(function.as_str());
                    let count = counted.count;
                    match owners.get(counted.type_slug.as_str()) {
                        Some(owner) if *owner == function || own_work => own_function += count,
                        Some(owner) => {
                            elsewhere.entry(counted.type_slug).or_insert((*owner, 0)).1 += count
                        }
                        None => {}
                    }
                }
                let mut stray: Vec<StrayWork> = elsewhere
                    .into_iter()
                    .map(|(type_slug, (owner, count))| StrayWork {
                        suggested_queue: queue_for(owner),
                        function: owner,
                        share: share(count),
                        activities: count,
                        type_slug,
                    })
                    .collect();
                stray.sort_by(|a, b| {
                    (b.activities, &a.type_slug).cmp(&(a.activities, &b.type_slug))
                });
                let other_functions: i64 = stray.iter().map(|s| s.activities).sum();
                Some(FocusRow {
                    user_id,
                    name: people.name(user_id),
                    function,
                    activities,
                    own_function,
                    other_functions,
                    other_share: share(other_functions),
                    stray,
                })
            })
            .collect();
        rows.sort_by(|a, b| {
            b.other_share
                .total_cmp(&a.other_share)
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(FocusReport {
            period,
            charter_version: charter.version.version,
            rows,
        })
    }
}
