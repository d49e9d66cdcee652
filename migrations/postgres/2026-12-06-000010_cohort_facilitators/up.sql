-- Who runs which ECHO cohort. A facilitator sees and changes only the
-- cohorts they are assigned to; organizers and admins assign them (and a
-- facilitator who creates a cohort runs it).
CREATE TABLE cohort_facilitators (
    cohort_id BIGINT NOT NULL REFERENCES cohorts(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    -- Who assigned them: a user's e-mail, or `cli:<unix user>`.
    assigned_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (cohort_id, user_id)
);
CREATE INDEX cohort_facilitators_user ON cohort_facilitators (user_id);
