//! Teams: groups of people under one function, such as the hunters of a region.

use crate::checks::required;
use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::now_ms;
use crate::users::audit_in;
use baton_core::domain::Function;
use serde::Serialize;

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

impl Db {
    /// Adds a team; its name must be new, whatever its case.
    pub async fn create_team(
        &self,
        actor: Option<i64>,
        name: &str,
        function: Function,
    ) -> Result<Team> {
        let name = required("name", name, "a team needs a name")?;
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
        .map_err(DbError::from)
        .map_err(|e| {
            if e.is_unique_violation() {
                DbError::conflict("name", format!("a team named {name} already exists"))
            } else {
                e
            }
        })?;
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

    /// One team by id.
    pub async fn team(&self, id: i64) -> Result<Team> {
        let row: Option<TeamRow> =
            sqlx::query_as("SELECT id, name, function, created_at FROM teams WHERE id = $1")
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
        team_from_row(row.ok_or_else(|| DbError::NotFound(format!("team {id}")))?)
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
