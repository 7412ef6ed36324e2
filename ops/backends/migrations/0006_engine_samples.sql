-- workflow-engine, sampled once a minute for the weekly digest (§6.2: KEDA scaling history and
-- idle time). The primary key is the claim: every replica samples, the one whose INSERT lands
-- (ON CONFLICT (minute) DO NOTHING) has recorded that minute, the others' rows are dropped.
-- NULL: that source did not answer (the cluster, or Redis); the digest counts only known minutes.
CREATE TABLE rtb_bot.engine_samples (
    minute      timestamptz PRIMARY KEY,          -- the sample's minute (truncated)
    desired     int,                              -- spec.replicas
    ready       int,                              -- status.readyReplicas
    keda_paused boolean,                          -- the ScaledObject's paused-replicas annotation
    active      int,                              -- BullMQ active, every watched queue
    waiting     int,                              -- BullMQ waiting + prioritized, every watched queue
    sampled_by  text        NOT NULL,             -- the replica
    sampled_at  timestamptz NOT NULL DEFAULT now()
);
