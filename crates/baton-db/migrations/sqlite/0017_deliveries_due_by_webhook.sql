-- Each webhook's oldest due deliveries, read without scanning the others':
-- after an outage the due deliveries of all webhooks may number many
-- thousands, and the sender looks for more whenever a send ends.
CREATE INDEX webhook_deliveries_due_by_webhook
    ON webhook_deliveries(webhook_id, status, next_attempt_at, id);
