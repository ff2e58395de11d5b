-- The whole domain model. Times are UTC milliseconds since the Unix epoch;
-- money is integer minor units beside an ISO 4217 currency code; JSON is TEXT.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    name_lower TEXT NOT NULL UNIQUE,
    function   TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL,
    email_lower   TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    team_id       INTEGER REFERENCES teams(id),
    manager_id    INTEGER REFERENCES users(id),
    password_hash TEXT,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

-- The charter: each version is a complete, immutable set of activity types.
CREATE TABLE charter_versions (
    id         INTEGER PRIMARY KEY,
    version    INTEGER NOT NULL UNIQUE,
    note       TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);

CREATE TABLE activity_types (
    id                 INTEGER PRIMARY KEY,
    charter_version_id INTEGER NOT NULL REFERENCES charter_versions(id),
    slug               TEXT NOT NULL,
    name               TEXT NOT NULL,
    function           TEXT NOT NULL,
    expectation        TEXT NOT NULL,
    UNIQUE (charter_version_id, slug)
);

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    name_norm  TEXT NOT NULL,
    status     TEXT NOT NULL,
    tier       TEXT NOT NULL,
    industry   TEXT,
    employees  INTEGER,
    owner_id   INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX accounts_name_norm ON accounts(name_norm);

CREATE TABLE account_domains (
    domain     TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id)
);
CREATE INDEX account_domains_account ON account_domains(account_id);

CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER REFERENCES accounts(id),
    name           TEXT,
    email          TEXT,
    email_lower    TEXT UNIQUE,
    phone          TEXT,
    title          TEXT,
    decision_maker INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX contacts_phone ON contacts(phone);
CREATE INDEX contacts_account ON contacts(account_id);

CREATE TABLE campaigns (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    name_lower TEXT NOT NULL UNIQUE,
    channel    TEXT NOT NULL,
    cost_minor INTEGER NOT NULL DEFAULT 0,
    currency   TEXT NOT NULL,
    starts_on  TEXT,
    ends_on    TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE forms (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    campaign_id INTEGER REFERENCES campaigns(id),
    thank_you   TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);

-- Raw inquiries are immutable: `raw` is exactly what arrived.
CREATE TABLE inquiries (
    id              INTEGER PRIMARY KEY,
    received_at     INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    origin          TEXT NOT NULL,
    raw             BLOB NOT NULL,
    idempotency_key TEXT UNIQUE,
    sender_key      TEXT,
    content_hash    TEXT NOT NULL,
    status          TEXT NOT NULL,
    error           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    contact_id      INTEGER REFERENCES contacts(id),
    account_id      INTEGER REFERENCES accounts(id),
    lead_id         INTEGER,
    processed_at    INTEGER
);
CREATE INDEX inquiries_status ON inquiries(status, id);
CREATE INDEX inquiries_repeat ON inquiries(content_hash, received_at);

-- Every decision taken on an inquiry, with its reasons and the version of
-- the rules or model that took it.
CREATE TABLE decisions (
    id         INTEGER PRIMARY KEY,
    inquiry_id INTEGER NOT NULL REFERENCES inquiries(id),
    kind       TEXT NOT NULL,
    value      TEXT,
    score      REAL,
    reasons    TEXT NOT NULL,
    version    TEXT NOT NULL,
    actor_id   INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX decisions_inquiry ON decisions(inquiry_id, kind);

CREATE TABLE leads (
    id          INTEGER PRIMARY KEY,
    inquiry_id  INTEGER NOT NULL UNIQUE REFERENCES inquiries(id),
    contact_id  INTEGER REFERENCES contacts(id),
    account_id  INTEGER REFERENCES accounts(id),
    campaign_id INTEGER REFERENCES campaigns(id),
    source      TEXT,
    stage       TEXT NOT NULL,
    intent      TEXT NOT NULL,
    score       INTEGER NOT NULL,
    grade       TEXT NOT NULL,
    owner_id    INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX leads_stage ON leads(stage, id);
CREATE INDEX leads_owner ON leads(owner_id);

CREATE TABLE lead_stage_history (
    id         INTEGER PRIMARY KEY,
    lead_id    INTEGER NOT NULL REFERENCES leads(id),
    from_stage TEXT,
    to_stage   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor_id   INTEGER REFERENCES users(id),
    at         INTEGER NOT NULL
);
CREATE INDEX lead_stage_history_lead ON lead_stage_history(lead_id);

CREATE TABLE queues (
    id                     INTEGER PRIMARY KEY,
    slug                   TEXT NOT NULL UNIQUE,
    name                   TEXT NOT NULL,
    function               TEXT NOT NULL,
    strategy               TEXT NOT NULL,
    first_touch_sla_min    INTEGER NOT NULL,
    resolution_sla_min     INTEGER NOT NULL,
    business_hours         INTEGER NOT NULL DEFAULT 1,
    escalation_queue_id    INTEGER REFERENCES queues(id),
    manager_id             INTEGER REFERENCES users(id),
    last_position          INTEGER,
    created_at             INTEGER NOT NULL
);

CREATE TABLE queue_members (
    queue_id       INTEGER NOT NULL REFERENCES queues(id),
    user_id        INTEGER NOT NULL REFERENCES users(id),
    position       INTEGER NOT NULL,
    capacity       INTEGER,
    weight         INTEGER NOT NULL DEFAULT 1,
    skills         TEXT NOT NULL DEFAULT '[]',
    away           INTEGER NOT NULL DEFAULT 0,
    assigned_total INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (queue_id, user_id)
);

CREATE TABLE routing_rules (
    id         INTEGER PRIMARY KEY,
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    condition  TEXT NOT NULL,
    queue_id   INTEGER REFERENCES queues(id),
    enabled    INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL
);

CREATE TABLE work_items (
    id                 INTEGER PRIMARY KEY,
    lead_id            INTEGER REFERENCES leads(id),
    inquiry_id         INTEGER REFERENCES inquiries(id),
    queue_id           INTEGER NOT NULL REFERENCES queues(id),
    assignee_id        INTEGER REFERENCES users(id),
    status             TEXT NOT NULL,
    first_touch_due_at INTEGER NOT NULL,
    resolution_due_at  INTEGER NOT NULL,
    first_touched_at   INTEGER,
    escalation_level   INTEGER NOT NULL DEFAULT 0,
    escalated_at       INTEGER,
    reject_reason      TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX work_items_queue ON work_items(queue_id, status, id);
CREATE INDEX work_items_assignee ON work_items(assignee_id, status);
CREATE INDEX work_items_due ON work_items(status, first_touch_due_at);

CREATE TABLE assignment_history (
    id            INTEGER PRIMARY KEY,
    work_item_id  INTEGER NOT NULL REFERENCES work_items(id),
    action        TEXT NOT NULL,
    from_user_id  INTEGER REFERENCES users(id),
    to_user_id    INTEGER REFERENCES users(id),
    from_queue_id INTEGER REFERENCES queues(id),
    to_queue_id   INTEGER REFERENCES queues(id),
    reason        TEXT NOT NULL,
    actor_id      INTEGER REFERENCES users(id),
    at            INTEGER NOT NULL
);
CREATE INDEX assignment_history_item ON assignment_history(work_item_id);

CREATE TABLE opportunities (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    account_id        INTEGER REFERENCES accounts(id),
    contact_id        INTEGER REFERENCES contacts(id),
    lead_id           INTEGER REFERENCES leads(id),
    owner_id          INTEGER REFERENCES users(id),
    product           TEXT,
    amount_minor      INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    stage             TEXT NOT NULL,
    probability       INTEGER NOT NULL,
    forecast_category TEXT NOT NULL,
    expected_close    TEXT,
    engaged_on        TEXT,
    closed_on         TEXT,
    close_reason      TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX opportunities_owner ON opportunities(owner_id, stage);
CREATE INDEX opportunities_account ON opportunities(account_id);

CREATE TABLE activities (
    id             INTEGER PRIMARY KEY,
    type_slug      TEXT NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    contact_id     INTEGER REFERENCES contacts(id),
    account_id     INTEGER REFERENCES accounts(id),
    lead_id        INTEGER REFERENCES leads(id),
    opportunity_id INTEGER REFERENCES opportunities(id),
    occurred_at    INTEGER NOT NULL,
    outcome        TEXT,
    notes          TEXT,
    created_at     INTEGER NOT NULL
);
CREATE INDEX activities_user ON activities(user_id, occurred_at);

-- A forecast submission is an immutable version; a later one supersedes it.
CREATE TABLE forecasts (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    kind         TEXT NOT NULL,
    quarter      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    submitted_by INTEGER NOT NULL REFERENCES users(id),
    submitted_at INTEGER NOT NULL,
    note         TEXT,
    UNIQUE (user_id, kind, quarter, version)
);

CREATE TABLE forecast_lines (
    id             INTEGER PRIMARY KEY,
    forecast_id    INTEGER NOT NULL REFERENCES forecasts(id),
    opportunity_id INTEGER REFERENCES opportunities(id),
    account_id     INTEGER REFERENCES accounts(id),
    campaign_id    INTEGER REFERENCES campaigns(id),
    channel        TEXT,
    description    TEXT NOT NULL,
    category       TEXT,
    amount_minor   INTEGER NOT NULL DEFAULT 0,
    currency       TEXT NOT NULL,
    leads          INTEGER,
    mqls           INTEGER
);
CREATE INDEX forecast_lines_forecast ON forecast_lines(forecast_id);

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    events     TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks(id),
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    response_code   INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);

-- Leases let one of several servers run a piece of background work at a time.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Append-only: the triggers refuse every change to a written row.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor_id  INTEGER REFERENCES users(id),
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id INTEGER,
    detail    TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
