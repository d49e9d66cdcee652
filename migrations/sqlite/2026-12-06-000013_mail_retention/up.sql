-- Finds the finished messages whose content the retention purge drops;
-- purged (and erased) ones, '{}', fall out of it.
CREATE INDEX outbox_with_content ON outbox (created_at) WHERE context <> '{}';
