-- Learned models, one row per trained version of a task (spam, intent,
-- conversion), with the held-out metrics that let it in. At most one
-- version of a task is active: the pipeline decides with it.
CREATE TABLE models (
    id            INTEGER PRIMARY KEY,
    task          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    trained_at    INTEGER NOT NULL,
    training_rows INTEGER NOT NULL,
    metrics       TEXT NOT NULL,
    model         BLOB NOT NULL,
    active        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (task, version)
);
CREATE UNIQUE INDEX models_active ON models(task) WHERE active = 1;
