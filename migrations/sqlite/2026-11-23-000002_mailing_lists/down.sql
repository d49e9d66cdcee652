ALTER TABLE sessions DROP COLUMN cancel_reason;
DROP TABLE send_rate;
DROP INDEX outbox_subscription;
ALTER TABLE outbox DROP COLUMN unsubscribe_url;
ALTER TABLE outbox DROP COLUMN list_id;
ALTER TABLE outbox DROP COLUMN subscription_id;
ALTER TABLE registrations DROP COLUMN registered_at;
DROP TABLE subscriptions;
