-- Mail caused by an anonymous form (someone typed an address) is marked, so
-- the number such posts can send to one address is capped.
ALTER TABLE outbox ADD COLUMN origin TEXT;
CREATE INDEX outbox_public_recipient ON outbox (recipient, created_at) WHERE origin = 'public';
