-- Mailing lists (double opt-in), reminders' "registered since", list
-- headers on outbox rows, the shared send-rate reservation, and a
-- cancelled session's reason.
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people(id),
    -- A key of the configured `[lists]`.
    list_slug TEXT NOT NULL,
    -- pending (awaiting the confirmation click) | confirmed | unsubscribed
    status TEXT NOT NULL,
    -- Permanent, in every list e-mail's unsubscribe link.
    token TEXT NOT NULL UNIQUE,
    -- One-time: cleared once used. Shared by the lists of one request.
    confirm_token TEXT,
    confirm_sent_at TIMESTAMP,
    confirmed_at TIMESTAMP,
    unsubscribed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (person_id, list_slug)
);
CREATE INDEX subscriptions_list_status ON subscriptions (list_slug, status, id);
CREATE INDEX subscriptions_confirm_token ON subscriptions (confirm_token);

-- When the registration last became 'registered' (reminders due before
-- that moment are not sent late).
ALTER TABLE registrations ADD COLUMN registered_at TIMESTAMP;
UPDATE registrations SET registered_at = created_at WHERE status = 'registered';

-- List mail: which subscription it goes to (unsubscribing drops what is
-- still queued) and its List-Id / List-Unsubscribe values.
ALTER TABLE outbox ADD COLUMN subscription_id BIGINT REFERENCES subscriptions(id);
ALTER TABLE outbox ADD COLUMN list_id TEXT;
ALTER TABLE outbox ADD COLUMN unsubscribe_url TEXT;
CREATE INDEX outbox_subscription ON outbox (subscription_id);

-- Send slots shared by every worker process: the next free moment, in
-- microseconds since the epoch.
CREATE TABLE send_rate (
    name TEXT PRIMARY KEY,
    next_at_us BIGINT NOT NULL
);

ALTER TABLE sessions ADD COLUMN cancel_reason TEXT;
