-- rtb-ai-hub's own tables, as the hub creates them. The bot only reads them; the sandbox and
-- the tests create fixture copies with this file (sandbox/seed_hub.py). Idempotent.

CREATE TABLE IF NOT EXISTS ai_costs (
    id              bigserial PRIMARY KEY,
    model           text NOT NULL,
    env             text NOT NULL,
    workflow_type   text NOT NULL,
    issue_key       text,
    input_tokens    integer NOT NULL DEFAULT 0,
    output_tokens   integer NOT NULL DEFAULT 0,
    total_cost_usd  numeric(12, 6) NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS ai_costs_created_at_idx ON ai_costs (created_at);

CREATE TABLE IF NOT EXISTS workflow_executions (
    id              bigserial PRIMARY KEY,
    workflow_type   text NOT NULL,
    status          text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    issue_key       text,
    env             text NOT NULL,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    duration_ms     integer,
    error_message   text
);

CREATE INDEX IF NOT EXISTS workflow_executions_started_at_idx
    ON workflow_executions (started_at);
CREATE INDEX IF NOT EXISTS workflow_executions_status_started_at_idx
    ON workflow_executions (status, started_at);
