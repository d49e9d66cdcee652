-- Registration bursts (issue 18): each registered registration holds a
-- numbered place, unique per session, so concurrent registrations claim
-- different places instead of queueing on the session row's lock
-- (src/registration/store/places.rs). Waitlisted and cancelled ones hold
-- none (NULL, which a unique index never compares equal).
ALTER TABLE registrations ADD COLUMN place INTEGER;
-- One pass (a correlated subquery would number the table once per row).
UPDATE registrations SET place = numbered.n
FROM (
    SELECT id, ROW_NUMBER() OVER (
        PARTITION BY session_id ORDER BY registered_at, id) AS n
    FROM registrations WHERE status = 'registered'
) AS numbered
WHERE numbered.id = registrations.id;
CREATE UNIQUE INDEX registrations_session_place ON registrations (session_id, place);
