-- Mail queued anywhere wakes every instance's mail worker (issue 18): each
-- statement that inserts into the outbox notifies `convene_outbox`, which
-- PostgreSQL delivers at commit (repeats within one transaction fold into
-- one). Workers listen on it (src/db/listen.rs) instead of polling.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('convene_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
