-- Escalations of prd approvals no lead acted on (approvals/escalation.py). The primary key is
-- the claim: the replica whose INSERT lands escalates the request, every other one (and every
-- later run) finds the row and does nothing, so each request is escalated once. The row also
-- records what the escalation did, for the card and for the runs that finish it (DMs enqueued,
-- the page retried while PagerDuty does not answer, resolved once a lead has acted).
-- The runtime role gets read-write on it through 0004's default privileges (owner-created).
CREATE TABLE rtb_bot.approval_escalations (
    request_id       text        PRIMARY KEY REFERENCES rtb_bot.approval_requests (id),
    claimed_by       text        NOT NULL,             -- the replica
    escalated_at     timestamptz NOT NULL,
    leads            jsonb       NOT NULL DEFAULT '[]'::jsonb,  -- Slack user ids DMed
    oncall           text,                             -- the on-call lead named in the page
    notified_at      timestamptz,                      -- the DMs are in the outbox
    page_wanted      boolean     NOT NULL DEFAULT false,  -- PagerDuty was configured
    page_outcome     text,                             -- sent | refused | unavailable | NULL: not yet
    page_attempts    int         NOT NULL DEFAULT 0,   -- runs that tried to page
    paged_at         timestamptz,                      -- PagerDuty accepted the trigger
    page_resolved_at timestamptz                       -- resolved after a lead acted
);
CREATE INDEX approval_escalations_open ON rtb_bot.approval_escalations (escalated_at)
    WHERE notified_at IS NULL OR (page_wanted AND page_resolved_at IS NULL);
