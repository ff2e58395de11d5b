//! The charter as stored: numbered, immutable versions, each a complete set
//! of activity types with the function that owns them. Changing the charter
//! adds a version; the newest is the one in force.

use crate::checks::{required, required_name};
use crate::connect::Db;
use crate::error::{DbError, Refusals, Result};
use crate::now_ms;
use crate::sql::{Value, insert_rows};
use crate::users::audit_in;
use baton_core::domain::Function;
use baton_core::inquiry::FieldError;
use baton_core::slug::parse_slug;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// One activity of the business, the function that owns it and what is expected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityType {
    /// Lowercase letters, digits and `_`, like `cold_call`.
    pub slug: String,
    pub name: String,
    pub function: Function,
    /// An SLA, a cadence or a target, in words.
    pub expectation: String,
}

/// Who changed the charter, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CharterVersion {
    pub version: i64,
    pub note: String,
    /// Absent for the default charter.
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// A charter version with its activity types.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Charter {
    #[serde(flatten)]
    pub version: CharterVersion,
    pub activity_types: Vec<ActivityType>,
}

/// The version in force: the highest.
const CURRENT_VERSION_ID: &str = "(SELECT id FROM charter_versions ORDER BY version DESC LIMIT 1)";

/// The activity types trimmed and checked; each problem names its entry,
/// and every problem is gathered into `refusals`.
fn checked(refusals: &mut Refusals, types: &[ActivityType]) -> Result<Vec<ActivityType>> {
    if types.is_empty() {
        refusals.refuse(
            "activity_types",
            "a charter needs at least one activity type",
        );
    }
    let mut seen = HashSet::new();
    types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let field = |name: &str| format!("activity_types[{i}].{name}");
            let slug = refusals
                .value(parse_slug(&t.slug).map_err(|e| DbError::invalid(field("slug"), e)))?;
            if !slug.is_empty() && !seen.insert(slug.clone()) {
                refusals.refuse(field("slug"), format!("`{slug}` appears more than once"));
            }
            Ok(ActivityType {
                slug,
                name: refusals.value(required_name(
                    &field("name"),
                    &t.name,
                    "an activity type needs a name",
                ))?,
                function: t.function,
                expectation: refusals.value(required(
                    &field("expectation"),
                    &t.expectation,
                    "say what is expected: an SLA, a cadence or a target",
                ))?,
            })
        })
        .collect()
}

/// A new version's note and activity types, trimmed and checked; every
/// problem is named at once.
fn checked_version(note: &str, types: &[ActivityType]) -> Result<(String, Vec<ActivityType>)> {
    let mut refusals = Refusals::default();
    let note = refusals.value(required("note", note, "say what changed and why"))?;
    let types = checked(&mut refusals, types)?;
    refusals.finish()?;
    Ok((note, types))
}

/// Every problem a new version with `note` and `types` would be refused
/// for, without storing anything: for a page that found problems of its
/// own to name these beside them.
pub fn version_problems(note: &str, types: &[ActivityType]) -> Vec<FieldError> {
    checked_version(note, types)
        .err()
        .and_then(|refused| refused.field_problems().ok())
        .unwrap_or_default()
}

impl Db {
    /// The charter in force.
    /// Every activity type ever in the charter, by slug, with its name and
    /// owning function as the last version that has it gives them: work of
    /// a type the charter no longer has is still named and judged.
    pub async fn activity_types_ever(&self) -> Result<HashMap<String, (String, Function)>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT t.slug, t.name, t.function FROM activity_types t
             JOIN charter_versions v ON v.id = t.charter_version_id
             ORDER BY v.version DESC",
        )
        .fetch_all(self.reader())
        .await?;
        let mut types = HashMap::new();
        for (slug, name, function) in rows {
            if let Ok(function) = function.parse() {
                types.entry(slug).or_insert((name, function));
            }
        }
        Ok(types)
    }

    pub async fn current_charter(&self) -> Result<Charter> {
        let row: Option<(i64,)> = sqlx::query_as(&format!(
            "SELECT version FROM charter_versions WHERE id = {CURRENT_VERSION_ID}"
        ))
        .fetch_optional(self.reader())
        .await?;
        let (version,) = row.ok_or_else(|| DbError::NotFound("charter".into()))?;
        self.charter(version).await
    }

    /// Every version, newest first.
    pub async fn charter_versions(&self) -> Result<Vec<CharterVersion>> {
        let rows: Vec<(i64, String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT version, note, created_by, created_at FROM charter_versions ORDER BY version DESC",
        )
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(version, note, created_by, created_at)| CharterVersion {
                version,
                note,
                created_by,
                created_at,
            })
            .collect())
    }

    /// One version with its activity types, in the order they were given.
    pub async fn charter(&self, version: i64) -> Result<Charter> {
        let row: Option<(i64, String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT id, note, created_by, created_at FROM charter_versions WHERE version = $1",
        )
        .bind(version)
        .fetch_optional(self.reader())
        .await?;
        let (id, note, created_by, created_at) =
            row.ok_or_else(|| DbError::NotFound(format!("charter version {version}")))?;
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT slug, name, function, expectation FROM activity_types
             WHERE charter_version_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        let activity_types = rows
            .into_iter()
            .map(|(slug, name, function, expectation)| {
                Ok(ActivityType {
                    slug,
                    name,
                    function: function
                        .parse()
                        .map_err(|e| DbError::invalid("function", format!("{e}")))?,
                    expectation,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Charter {
            version: CharterVersion {
                version,
                note,
                created_by,
                created_at,
            },
            activity_types,
        })
    }

    /// Refuses, naming the field `type`, a slug that is not an activity type
    /// of the charter in force.
    pub(crate) async fn current_activity_type(&self, slug: &str) -> Result<()> {
        let (version, found): (Option<i64>, i64) = sqlx::query_as(&format!(
            "SELECT MAX(v.version), COUNT(t.id) FROM charter_versions v
             LEFT JOIN activity_types t ON t.charter_version_id = v.id AND t.slug = $1
             WHERE v.id = {CURRENT_VERSION_ID}"
        ))
        .bind(slug)
        .fetch_one(self.reader())
        .await?;
        if found > 0 {
            Ok(())
        } else {
            Err(DbError::invalid(
                "type",
                format!(
                    "`{slug}` is not an activity type of the charter in force (version {})",
                    version.unwrap_or_default()
                ),
            ))
        }
    }

    /// Refuses, naming the field `type`, a slug that no version of the
    /// charter ever had: activities logged under an older version are still
    /// found by their type.
    pub async fn known_activity_type(&self, slug: &str) -> Result<()> {
        let (found,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM activity_types WHERE slug = $1")
                .bind(slug)
                .fetch_one(self.reader())
                .await?;
        if found > 0 {
            Ok(())
        } else {
            Err(DbError::invalid(
                "type",
                format!("`{slug}` is not an activity type of any version of the charter"),
            ))
        }
    }

    /// Puts a new version of the charter in force: the complete set of
    /// activity types, with a note saying why. With `based_on`, the version
    /// the change was made from, it is refused when another was put in
    /// force since.
    pub async fn replace_charter(
        &self,
        actor: i64,
        note: &str,
        types: &[ActivityType],
        based_on: Option<i64>,
    ) -> Result<Charter> {
        let (note, types) = checked_version(note, types)?;
        let mut tx = self.begin_write().await?;
        let (version,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(version), 0) + 1 FROM charter_versions")
                .fetch_one(&mut *tx)
                .await?;
        if let Some(unknown) = based_on.filter(|v| *v >= version || *v < 1) {
            return Err(DbError::invalid(
                "based_on",
                format!(
                    "there is no version {unknown}: the latest is {}",
                    version - 1
                ),
            ));
        }
        if let Some(stale) = based_on.filter(|v| *v != version - 1) {
            return Err(DbError::conflict(
                "based_on",
                format!(
                    "the change was made from version {stale}, but version {} is in force now: read it and make the change again",
                    version - 1
                ),
            ));
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO charter_versions (version, note, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(version)
        .bind(&note)
        .bind(actor)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from)
        .map_err(|e| {
            if e.is_unique_violation() {
                DbError::conflict(
                    "version",
                    "someone changed the charter at the same moment; read it and try again",
                )
            } else {
                e
            }
        })?;
        let rows: Vec<Vec<Value>> = types
            .iter()
            .map(|t| {
                vec![
                    id.into(),
                    t.slug.as_str().into(),
                    t.name.as_str().into(),
                    t.function.as_str().into(),
                    t.expectation.as_str().into(),
                ]
            })
            .collect();
        insert_rows::<(i64,)>(
            &mut tx,
            "INSERT INTO activity_types (charter_version_id, slug, name, function, expectation)",
            "",
            &rows,
        )
        .await?;
        audit_in(
            &mut *tx,
            Some(actor),
            "charter.changed",
            "charter",
            Some(version),
            &serde_json::json!({"version": version, "note": note, "activity_types": types.len()}),
        )
        .await?;
        tx.commit().await?;
        self.charter(version).await
    }
}
