-- Incidents (ops/incidents.py): a CloudWatch alarm that fired, the card that shows it, and its
-- timeline. One open incident per alarm (name, account): a repeat ALARM updates it, OK resolves
-- it. Ids are short to type in `/rtb incident INC-0042`.
CREATE SEQUENCE rtb_bot.incident_numbers;

CREATE TABLE rtb_bot.incidents (
    id               text        PRIMARY KEY
                                 DEFAULT 'INC-' || lpad(nextval('rtb_bot.incident_numbers')::text, 4, '0'),
    alarm_name       text        NOT NULL,
    env              text,                            -- int | stg | prd; NULL: account not configured
    account          text        NOT NULL,            -- the 12-digit AWS account id
    region           text        NOT NULL,
    state            text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    alarm_state      text        NOT NULL CHECK (alarm_state IN ('ALARM', 'OK', 'INSUFFICIENT_DATA')),
    opened_at        timestamptz NOT NULL,            -- the ALARM's StateChangeTime
    last_seen_at     timestamptz NOT NULL,            -- the newest ALARM notification's time
    state_changed_at timestamptz NOT NULL,            -- the newest notification applied (any state)
    repeat_count     int         NOT NULL DEFAULT 0,  -- ALARM notifications after the first
    resolved_at      timestamptz,
    resolved_by      text,                            -- Slack user id; NULL: the alarm turned OK
    channel          text        NOT NULL,            -- where the card is posted (routing)
    card_key         text        NOT NULL UNIQUE,     -- the card's key in rtb_bot.outbox
    acknowledged_by  text,
    acknowledged_at  timestamptz,
    notification     jsonb       NOT NULL,            -- the newest notification, as parsed
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX incidents_one_open_per_alarm ON rtb_bot.incidents (alarm_name, account)
    WHERE state = 'open';
CREATE INDEX incidents_newest ON rtb_bot.incidents (opened_at DESC);
CREATE INDEX incidents_by_alarm ON rtb_bot.incidents (alarm_name, account, opened_at DESC);

-- The timeline: every event of an incident, append-only, in order.
CREATE TABLE rtb_bot.incident_events (
    id          bigserial   PRIMARY KEY,
    incident_id text        NOT NULL REFERENCES rtb_bot.incidents (id),
    at          timestamptz NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('fired', 'repeat', 'acknowledged', 'action',
                                'resolved', 'insufficient_data', 'escalated', 'note')),
    actor       text,                                 -- Slack user id; NULL: the alarm itself
    detail      jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX incident_events_timeline ON rtb_bot.incident_events (incident_id, at, id);

-- Every SNS/EventBridge message handled, by its id: a message is applied once, whichever
-- replica receives it and however often SQS delivers it.
CREATE TABLE rtb_bot.alarm_messages (
    message_id  text        PRIMARY KEY,              -- SNS MessageId, or the EventBridge event id
    incident_id text        REFERENCES rtb_bot.incidents (id),  -- NULL: nothing to apply
    outcome     text        NOT NULL,                 -- opened | repeated | resolved | ...
    received_at timestamptz NOT NULL DEFAULT now()
);

-- The runtime role (0004) gets SELECT/INSERT/UPDATE/DELETE on new tables and USAGE on new
-- sequences from the schema's default privileges; nothing more is needed here.
