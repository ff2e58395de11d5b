-- Every attempt at a delivery, in order: the delivery row keeps only the
-- last answer, and a receiver's failures before it succeeded are kept here.
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id),
    attempted_at BIGINT NOT NULL,
    response_code BIGINT,
    error TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id);
