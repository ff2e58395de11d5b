-- Appointments with decision makers, published to each owner's calendar.
CREATE TABLE appointments (
    id             INTEGER PRIMARY KEY,
    owner_id       INTEGER NOT NULL REFERENCES users(id),
    contact_id     INTEGER NOT NULL REFERENCES contacts(id),
    account_id     INTEGER REFERENCES accounts(id),
    lead_id        INTEGER REFERENCES leads(id),
    opportunity_id INTEGER REFERENCES opportunities(id),
    title          TEXT NOT NULL,
    location       TEXT,
    notes          TEXT,
    starts_at      INTEGER NOT NULL,
    ends_at        INTEGER NOT NULL,
    status         TEXT NOT NULL,
    -- Raised on every change so calendar programs replace their copy.
    sequence       INTEGER NOT NULL DEFAULT 0,
    created_by     INTEGER REFERENCES users(id),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX appointments_owner ON appointments(owner_id, starts_at);

-- The secret behind each person's calendar feed address, hashed like tokens.
CREATE TABLE calendar_feeds (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- Call sheets: a person's calls for a day or a week, ranked from their work.
CREATE TABLE call_sheets (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    period         TEXT NOT NULL,
    starts_on      TEXT NOT NULL,
    -- Monday of the sheet's week, so completion adds up by week.
    week_starts_on TEXT NOT NULL,
    generated_at   INTEGER NOT NULL,
    UNIQUE (user_id, period, starts_on)
);
CREATE INDEX call_sheets_week ON call_sheets(week_starts_on, user_id);

CREATE TABLE call_sheet_lines (
    id             INTEGER PRIMARY KEY,
    sheet_id       INTEGER NOT NULL REFERENCES call_sheets(id),
    position       INTEGER NOT NULL,
    work_item_id   INTEGER REFERENCES work_items(id),
    lead_id        INTEGER REFERENCES leads(id),
    opportunity_id INTEGER REFERENCES opportunities(id),
    account_id     INTEGER REFERENCES accounts(id),
    contact_id     INTEGER REFERENCES contacts(id),
    subject        TEXT NOT NULL,
    phone          TEXT,
    reason         TEXT NOT NULL,
    due_at         INTEGER,
    score          INTEGER,
    value_minor    INTEGER,
    currency       TEXT,
    last_touch_at  INTEGER,
    done_at        INTEGER,
    outcome        TEXT,
    activity_id    INTEGER REFERENCES activities(id)
);
CREATE INDEX call_sheet_lines_sheet ON call_sheet_lines(sheet_id, position);
