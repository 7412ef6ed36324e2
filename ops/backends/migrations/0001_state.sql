-- The bot's own state. The hub's tables are never touched by the bot.
CREATE TABLE rtb_bot.audit_events (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text        NOT NULL,
    env            text,
    action         text        NOT NULL,
    params         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    digest         text,
    outcome        text        NOT NULL,
    correlation_id text,
    approval_id    text,
    prev_hash      text        NOT NULL,
    hash           text        NOT NULL
);
CREATE INDEX audit_events_at ON rtb_bot.audit_events (at);

-- Append-only: ordinary roles cannot change history; the hash chain catches anyone who can.
CREATE FUNCTION rtb_bot.audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON rtb_bot.audit_events
    FOR EACH ROW EXECUTE FUNCTION rtb_bot.audit_events_append_only();

-- One row per (scheduled job, period): the replica that inserts it posts the digest.
CREATE TABLE rtb_bot.job_claims (
    job        text        NOT NULL,
    period     text        NOT NULL,
    claimed_by text        NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job, period)
);
