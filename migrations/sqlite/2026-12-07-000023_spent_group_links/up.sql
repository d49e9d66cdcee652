-- Leave links already used: the link's hash and its group, no person. A
-- leave link opened again (a second click, a mail program's retried
-- one-click POST) says "you have left the group" instead of "not found",
-- though the sign-up it took out is gone (src/interest/groups.rs).
CREATE TABLE spent_group_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    lever TEXT NOT NULL,
    left_at TIMESTAMP NOT NULL
);
