//! Learned models as stored: every trained version of a task with its
//! held-out metrics, at most one of them active. Processing keeps the
//! active versions in memory and asks once per batch which versions are
//! active, so a model is read and deserialised only when a new one is
//! activated.

use crate::connect::Db;
use crate::error::{DbError, Result};
use crate::users::audit_in;
use baton_core::learn::combine::ActiveModel;
use baton_core::learn::inputs::reads_columns_of;
use baton_core::learn::model::Model;
use baton_core::learn::train::Task;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A stored version of a task's model, without the model itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelVersion {
    pub id: i64,
    pub task: Task,
    pub version: i64,
    pub trained_at: i64,
    pub training_rows: i64,
    /// How it did on the held-out rows when it was trained.
    pub metrics: serde_json::Value,
    pub active: bool,
}

/// The active model of each task, if any.
#[derive(Debug, Clone, Default)]
pub struct ActiveModels {
    pub spam: Option<Arc<ActiveModel>>,
    pub intent: Option<Arc<ActiveModel>>,
    pub conversion: Option<Arc<ActiveModel>>,
}

/// Loaded models by task: the version and the model, or `None` when that
/// version could not be read (it is not tried again).
pub(crate) type ModelCache = Mutex<HashMap<Task, (i64, Option<Arc<ActiveModel>>)>>;

type VersionRow = (i64, String, i64, i64, i64, String, i64);

const VERSION_SELECT: &str =
    "SELECT id, task, version, trained_at, training_rows, metrics, active FROM models";

fn version_from_row(row: VersionRow) -> Result<ModelVersion> {
    let (id, task, version, trained_at, training_rows, metrics, active) = row;
    Ok(ModelVersion {
        id,
        task: Task::from_name(&task)
            .ok_or_else(|| DbError::invalid("task", format!("`{task}` is not a task")))?,
        version,
        trained_at,
        training_rows,
        metrics: serde_json::from_str(&metrics)
            .map_err(|e| DbError::invalid("metrics", e.to_string()))?,
        active: active != 0,
    })
}

impl Db {
    /// Stores a new, inactive version of `task`'s model and returns its
    /// version number (one more than the task's latest).
    pub async fn store_model(
        &self,
        task: Task,
        trained_at: i64,
        training_rows: usize,
        metrics: &serde_json::Value,
        model: &Model,
    ) -> Result<i64> {
        let (metrics, model) = (metrics.to_string(), model.to_json().into_bytes());
        // Two trainings stored at once on PostgreSQL (a server's and a
        // command's) may both take the next version: the later takes the one after.
        let mut attempts = 0;
        loop {
            let stored: Result<(i64,)> = sqlx::query_as(
                "INSERT INTO models (task, version, trained_at, training_rows, metrics, model, active)
                 SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, 0 FROM models WHERE task = $1
                 RETURNING version",
            )
            .bind(task.name())
            .bind(trained_at)
            .bind(training_rows as i64)
            .bind(&metrics)
            .bind(&model)
            .fetch_one(self.writer())
            .await
            .map_err(DbError::from);
            attempts += 1;
            match stored {
                Err(e) if e.is_unique_violation() && attempts < 5 => continue,
                stored => return stored.map(|(version,)| version),
            }
        }
    }

    /// Makes `version` the active model of `task`, in place of any other.
    pub async fn activate_model(&self, task: Task, version: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE models SET active = 0 WHERE task = $1 AND active = 1")
            .bind(task.name())
            .execute(&mut *tx)
            .await?;
        let activated =
            sqlx::query("UPDATE models SET active = 1 WHERE task = $1 AND version = $2")
                .bind(task.name())
                .bind(version)
                .execute(&mut *tx)
                .await?;
        if activated.rows_affected() != 1 {
            return Err(DbError::NotFound(format!(
                "{} model version {version}",
                task.name()
            )));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every stored version of `task`'s model, oldest first.
    pub async fn model_versions(&self, task: Task) -> Result<Vec<ModelVersion>> {
        let rows: Vec<VersionRow> = sqlx::query_as(&format!(
            "{VERSION_SELECT} WHERE task = $1 ORDER BY version"
        ))
        .bind(task.name())
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(version_from_row).collect()
    }

    /// Stored versions of every task after the id `after`, in the order
    /// they were stored, at most `limit`.
    pub async fn models(&self, after: i64, limit: i64) -> Result<Vec<ModelVersion>> {
        let rows: Vec<VersionRow> = sqlx::query_as(&format!(
            "{VERSION_SELECT} WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(version_from_row).collect()
    }

    /// Makes the stored model `id` the active one of `task`, as `actor`
    /// asks. A model of another task is refused: naming the task guards
    /// against switching, say, the spam filter with an intent model's id.
    pub async fn activate_model_by_id(
        &self,
        actor: i64,
        id: i64,
        task: Task,
    ) -> Result<ModelVersion> {
        let row: Option<VersionRow> = sqlx::query_as(&format!("{VERSION_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        let model = version_from_row(row.ok_or_else(|| DbError::NotFound(format!("model {id}")))?)?;
        if model.task != task {
            return Err(DbError::conflict(
                "task",
                format!(
                    "model {id} decides {}, not {}",
                    model.task.name(),
                    task.name()
                ),
            ));
        }
        self.activate_model(task, model.version).await?;
        audit_in(
            self.writer(),
            Some(actor),
            "model.activated",
            "model",
            Some(id),
            &serde_json::json!({ "task": task, "version": model.version }),
        )
        .await?;
        Ok(ModelVersion {
            active: true,
            ..model
        })
    }

    /// When the latest version of `task`'s model was trained, if ever.
    pub async fn last_trained_at(&self, task: Task) -> Result<Option<i64>> {
        let (at,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(trained_at) FROM models WHERE task = $1")
                .bind(task.name())
                .fetch_one(self.reader())
                .await?;
        Ok(at)
    }

    /// The active model of `task`, read from the database.
    pub async fn active_model(&self, task: Task) -> Result<Option<ActiveModel>> {
        let row: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT version, model FROM models WHERE task = $1 AND active = 1")
                .bind(task.name())
                .fetch_optional(self.reader())
                .await?;
        let Some((version, bytes)) = row else {
            return Ok(None);
        };
        let json = String::from_utf8(bytes)
            .map_err(|e| DbError::invalid("model", format!("not UTF-8: {e}")))?;
        let model =
            Model::from_json(&json).map_err(|e| DbError::invalid("model", e.to_string()))?;
        Ok(Some(ActiveModel {
            task,
            version,
            model,
        }))
    }

    /// The active models, from memory unless a new version was activated
    /// since they were read: one small query. A model that cannot be read
    /// (saved by another version of Baton) is logged and left out, so the
    /// rules decide alone rather than intake stopping.
    pub(crate) async fn active_models(&self) -> Result<ActiveModels> {
        let active: Vec<(String, i64)> =
            sqlx::query_as("SELECT task, version FROM models WHERE active = 1")
                .fetch_all(self.reader())
                .await?;
        let mut models = ActiveModels::default();
        for (name, version) in active {
            let Some(task) = Task::from_name(&name) else {
                continue;
            };
            let cached = self
                .model_cache()
                .lock()
                .expect("the model cache is never poisoned")
                .get(&task)
                .filter(|(cached, _)| *cached == version)
                .map(|(_, model)| model.clone());
            let model = match cached {
                Some(model) => model,
                None => {
                    let loaded = match self.active_model(task).await {
                        Ok(Some(model)) if !reads_columns_of(task, &model.model) => {
                            tracing::warn!(
                                task = name,
                                version,
                                "the active model reads other columns than intake gives now; the rules decide alone until it is trained again"
                            );
                            None
                        }
                        Ok(model) => model.filter(|m| m.version == version).map(Arc::new),
                        Err(e) => {
                            tracing::warn!(error = %e, task = name, version, "the active model cannot be read; the rules decide alone");
                            None
                        }
                    };
                    self.model_cache()
                        .lock()
                        .expect("the model cache is never poisoned")
                        .insert(task, (version, loaded.clone()));
                    loaded
                }
            };
            match task {
                Task::Spam => models.spam = model,
                Task::Intent => models.intent = model,
                Task::Conversion => models.conversion = model,
            }
        }
        Ok(models)
    }
}
