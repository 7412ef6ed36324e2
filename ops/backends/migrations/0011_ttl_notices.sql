-- The preview TTL notice (ops/ttl_notice.py): one row per (env, preview namespace, expiry time)
-- noticed. The primary key is the claim: the replica whose INSERT lands sends the notice (and
-- the Jira comment), every other attempt finds the row. An extended TTL is a new expiry time,
-- hence a new row and a new notice.
CREATE TABLE rtb_bot.ttl_notices (
    env         text        NOT NULL,
    namespace   text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    issue_key   text        NOT NULL,
    claimed_by  text        NOT NULL,                -- the replica
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    outbox_key  text,                                -- the notice, once enqueued
    jira        text,                                -- the comment: added | failed | off
    PRIMARY KEY (env, namespace, expires_at)
);

-- The bot's working state (as 0004 grants the tables of later migrations by default; said
-- again here for a database whose migrations ran as another owner).
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rtb_bot_runtime') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON rtb_bot.ttl_notices TO rtb_bot_runtime;
    END IF;
END $$;
