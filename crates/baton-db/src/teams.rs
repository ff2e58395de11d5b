//! Teams: groups of people under one function, such as the hunters of a region.

use crate::checks::required_name;
use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::listing::{Conditions, Listed, SortColumn, Window};
use crate::now_ms;
use crate::users::audit_in;
use baton_core::domain::Function;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A team and the function it serves.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub function: Function,
    pub created_at: i64,
}

type TeamRow = (i64, String, String, i64);

fn team_from_row((id, name, function, created_at): TeamRow) -> Result<Team> {
    Ok(Team {
        id,
        name,
        function: function
            .parse()
            .map_err(|e| DbError::invalid("function", format!("{e}")))?,
        created_at,
    })
}

/// The columns the list of teams sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamSort {
    Name,
    Function,
    Created,
}

impl SortColumn for TeamSort {
    const ALL: &'static [Self] = &[TeamSort::Name, TeamSort::Function, TeamSort::Created];

    fn key(self) -> &'static str {
        match self {
            TeamSort::Name => "name",
            TeamSort::Function => "function",
            TeamSort::Created => "created",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            TeamSort::Name => "r.name_lower",
            TeamSort::Function => "r.function",
            TeamSort::Created => "r.created_at",
        }
    }
}

/// Filters of the list of teams; empty means any.
#[derive(Debug, Clone, Default)]
pub struct TeamFilter {
    pub function: Option<Function>,
    /// Words to find in the name.
    pub search: String,
}

const TEAM_LINES: &str = "SELECT id, name, name_lower, function, created_at,
        (SELECT COUNT(*) FROM users u WHERE u.team_id = teams.id) AS members
     FROM teams";

/// A team as its list shows it, with how many people are in it.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamLine {
    pub team: Team,
    pub members: i64,
}

fn team_line(row: &AnyRow) -> Result<TeamLine> {
    Ok(TeamLine {
        team: team_from_row((
            row.try_get("id")?,
            row.try_get("name")?,
            row.try_get("function")?,
            row.try_get("created_at")?,
        ))?,
        members: row.try_get("members")?,
    })
}

/// A team's name as it is stored, or why it is refused.
pub fn team_name(name: &str) -> Result<String> {
    required_name("name", name, "a team needs a name")
}

/// A unique-name violation as the conflict it is; other errors unchanged.
fn name_taken(error: DbError, name: &str) -> DbError {
    if error.is_unique_violation() {
        DbError::conflict("name", format!("a team named {name} already exists"))
    } else {
        error
    }
}

impl Db {
    /// Adds a team; its name must be new, whatever its case.
    pub async fn create_team(
        &self,
        actor: Option<i64>,
        name: &str,
        function: Function,
    ) -> Result<Team> {
        let name = team_name(name)?;
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO teams (name, name_lower, function, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&name)
        .bind(name.to_lowercase())
        .bind(function.as_str())
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| name_taken(e.into(), &name))?;
        audit_in(
            &mut *tx,
            actor,
            "team.created",
            "team",
            Some(id),
            &serde_json::json!({"name": name, "function": function}),
        )
        .await?;
        tx.commit().await?;
        self.team(id).await
    }

    /// Renames a team; the new name must be free, whatever its case.
    pub async fn rename_team(&self, actor: Option<i64>, id: i64, name: &str) -> Result<Team> {
        let name = team_name(name)?;
        let mut tx = self.begin_write().await?;
        let renamed = sqlx::query("UPDATE teams SET name = $1, name_lower = $2 WHERE id = $3")
            .bind(&name)
            .bind(name.to_lowercase())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| name_taken(e.into(), &name))?;
        if renamed.rows_affected() == 0 {
            return Err(DbError::NotFound(format!("team {id}")));
        }
        audit_in(
            &mut *tx,
            actor,
            "team.renamed",
            "team",
            Some(id),
            &serde_json::json!({"name": name}),
        )
        .await?;
        tx.commit().await?;
        self.team(id).await
    }

    /// Removes a team nobody is in any more; its people must be moved to
    /// another team (or none) first, so nobody leaves one unseen.
    pub async fn delete_team(&self, actor: Option<i64>, id: i64) -> Result<()> {
        let team = self.team(id).await?;
        let mut tx = self.begin_write().await?;
        let (members,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE team_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if members > 0 {
            return Err(DbError::conflict(
                "id",
                format!(
                    "{} still has {members} {}: move them to another team first",
                    team.name,
                    if members == 1 { "person" } else { "people" }
                ),
            ));
        }
        sqlx::query("DELETE FROM teams WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit_in(
            &mut *tx,
            actor,
            "team.deleted",
            "team",
            Some(id),
            &serde_json::json!({"name": team.name}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One team by id.
    pub async fn team(&self, id: i64) -> Result<Team> {
        let row: Option<TeamRow> =
            sqlx::query_as("SELECT id, name, function, created_at FROM teams WHERE id = $1")
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
        team_from_row(row.ok_or_else(|| DbError::NotFound(format!("team {id}")))?)
    }

    /// A window of the teams as `filter` narrows them.
    pub async fn team_list(
        &self,
        filter: &TeamFilter,
        window: &Window<TeamSort>,
    ) -> Result<Listed<TeamLine>> {
        let mut conditions = Conditions::default();
        conditions.equal("r.function = ?", filter.function.map(|f| f.as_str()));
        conditions.search(&["r.name_lower LIKE ? ESCAPE '\\'"], &filter.search);
        self.list(TEAM_LINES, &conditions, window, team_line).await
    }

    /// Every team, by name.
    pub async fn teams(&self) -> Result<Vec<Team>> {
        let rows: Vec<TeamRow> =
            sqlx::query_as("SELECT id, name, function, created_at FROM teams ORDER BY name_lower")
                .fetch_all(self.reader())
                .await?;
        rows.into_iter().map(team_from_row).collect()
    }
}
