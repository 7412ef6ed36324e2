-- The §3.1 evaluator's memory (ops/thresholds.py): per indicator, whether its alert is open,
-- how many evaluations in a row went the other way, and the open alert's outbox key (the
-- recovery and reminders are replies in its thread). Any replica continues where another
-- stopped: a pass reads the rows, and writes them back only if no newer pass wrote first.
-- The runtime role gets read-write through migration 0004's default privileges.
CREATE TABLE rtb_bot.threshold_states (
    indicator          text        PRIMARY KEY,        -- webhook_p99, waiting_jobs, …
    alerting           boolean     NOT NULL DEFAULT false,
    streak             int         NOT NULL DEFAULT 0,  -- evaluations in a row against the state
    alert_key          text,                           -- the open alert's outbox key
    opened_at          timestamptz,                    -- when the open alert was raised
    reminded_at        timestamptz,                    -- its newest reminder (or opened_at)
    last_value         double precision,
    evaluated_for      timestamptz NOT NULL,           -- the pass (its scheduled time) that wrote
    evaluated_by       text        NOT NULL
);
