-- The preview pod watcher (ops/pod_alert_store.py): every replica watches the same pods, the
-- replica whose INSERT lands alerts. One row per alert-worthy fact: an OOMKilled restart of a
-- container (kind `oom:<container>`, its restartCount) or a pod's slow start (`slow-start`, 0).
CREATE TABLE rtb_bot.pod_alert_claims (
    env        text        NOT NULL,
    pod_uid    text        NOT NULL,
    kind       text        NOT NULL,
    restart    int         NOT NULL,
    claimed_by text        NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    outbox_key text,                               -- the alert it was posted in or folded into
    PRIMARY KEY (env, pod_uid, kind, restart)
);

-- OOMKills of one container (env, namespace, container) within pod_watch.fold_minutes of its
-- first alert are folded into that alert: one row per open alert, its count and latest facts.
CREATE TABLE rtb_bot.pod_alert_folds (
    fold_key   text        PRIMARY KEY,            -- oom:<env>:<namespace>:<container>
    outbox_key text        NOT NULL,
    opened_at  timestamptz NOT NULL,
    kills      int         NOT NULL DEFAULT 1,
    facts      jsonb       NOT NULL                -- the newest kill, re-rendered on each fold
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rtb_bot_runtime') THEN
        GRANT SELECT, INSERT, UPDATE ON rtb_bot.pod_alert_claims, rtb_bot.pod_alert_folds
            TO rtb_bot_runtime;
    END IF;
END
$$;
