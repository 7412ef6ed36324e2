-- Scheduled jobs (ops/schedule.py): the claim row of a (job, period) also records the run.
ALTER TABLE rtb_bot.job_claims
    ADD COLUMN scheduled_for timestamptz,          -- the fire time the period stands for
    ADD COLUMN finished_at   timestamptz,          -- NULL: running, or the replica stopped
    ADD COLUMN outcome       text,                 -- done | failed (NULL while running)
    ADD COLUMN detail        jsonb NOT NULL DEFAULT '{}'::jsonb;
CREATE INDEX job_claims_newest ON rtb_bot.job_claims (job, claimed_at DESC);

-- The outbox (ops/outbox.py): everything the bot posts on its own initiative, written before
-- it is sent. `version` counts the edits asked for, `sent_version` the one Slack shows.
CREATE TABLE rtb_bot.outbox (
    id             bigserial   PRIMARY KEY,
    key            text        NOT NULL UNIQUE,      -- the caller's name for the message
    channel        text        NOT NULL,
    thread_key     text        REFERENCES rtb_bot.outbox (key),  -- a reply in that thread
    text           text        NOT NULL,
    blocks         jsonb       NOT NULL DEFAULT '[]'::jsonb,
    version        int         NOT NULL DEFAULT 1,
    sent_version   int         NOT NULL DEFAULT 0,
    posted_channel text,                             -- Slack's channel id, from its answer
    ts             text,                             -- Slack's ts: later edits go there
    attempts       int         NOT NULL DEFAULT 0,
    in_doubt       boolean     NOT NULL DEFAULT false,  -- a post went out, its answer unrecorded
    not_before     timestamptz NOT NULL DEFAULT now(),
    leased_by      text,
    lease_until    timestamptz,
    last_error     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    gave_up_at     timestamptz
);
CREATE INDEX outbox_due ON rtb_bot.outbox (not_before)
    WHERE sent_version < version AND gave_up_at IS NULL;

-- Who ticked which item of a posted digest (handlers/digest_actions.py); nobody unticks.
CREATE TABLE rtb_bot.digest_ticks (
    message_key text        NOT NULL REFERENCES rtb_bot.outbox (key),
    item        text        NOT NULL,
    user_id     text        NOT NULL,
    ticked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_key, item, user_id)
);
