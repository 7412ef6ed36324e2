-- Team-lead approval of prd changes (approvals/). A request moves only by conditional UPDATEs
-- (`... WHERE id = %s AND status = 'pending' RETURNING ...`): whoever's UPDATE returns the row
-- owns the transition, so a double click, a second replica or a replayed payload runs nothing twice.
CREATE TABLE rtb_bot.approval_requests (
    id                 text        PRIMARY KEY,              -- short, e.g. AR-7K3Q9
    action             text        NOT NULL,                 -- policy action (preview.workload)
    mutation           text        NOT NULL,                 -- what runs (scale)
    env                text        NOT NULL,
    target             text        NOT NULL,                 -- namespace/name, for people
    params             jsonb       NOT NULL,                 -- exactly what will run
    digest             text        NOT NULL,                 -- sha256(canonical action+mutation+env+params)
    preflight          jsonb       NOT NULL,                 -- state read when requested
    change             jsonb       NOT NULL,                 -- {"before": ..., "after": ...} for the card
    requester          text        NOT NULL,
    reason             text        NOT NULL,
    channel            text,                                 -- where it was requested
    status             text        NOT NULL DEFAULT 'pending' CHECK (status IN (
                           'pending', 'approved', 'executing', 'succeeded', 'failed',
                           'rejected', 'expired', 'cancelled', 'unknown')),
    required_approvals int         NOT NULL CHECK (required_approvals >= 1),
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    decided_at         timestamptz,
    decided_by         text,                                 -- who rejected / cancelled
    decision_note      text,                                 -- reject reason
    executing_since    timestamptz,
    finished_at        timestamptz,
    card_channel       text,                                 -- the (first) card
    card_ts            text,
    cards              jsonb       NOT NULL DEFAULT '[]'::jsonb,  -- every card: [{channel, ts}]
    result             jsonb
);
CREATE INDEX approval_requests_open ON rtb_bot.approval_requests (status, expires_at)
    WHERE status IN ('pending', 'approved', 'executing');

CREATE TABLE rtb_bot.approval_votes (
    request_id text        NOT NULL REFERENCES rtb_bot.approval_requests (id),
    lead       text        NOT NULL,
    voted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, lead)
);

-- A change waiting for its reason (the modal): the view carries only this token.
CREATE TABLE rtb_bot.approval_drafts (
    token      text        PRIMARY KEY,
    mutation   text        NOT NULL,
    env        text        NOT NULL,
    params     jsonb       NOT NULL,
    requester  text        NOT NULL,
    channel    text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- Refusal rules, results and other details of an audit event; covered by the hash chain.
ALTER TABLE rtb_bot.audit_events ADD COLUMN detail jsonb NOT NULL DEFAULT '{}'::jsonb;
CREATE INDEX audit_events_actor ON rtb_bot.audit_events (actor, at);
