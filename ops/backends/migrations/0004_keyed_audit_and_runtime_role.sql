-- Keyed audit chain: each new row names the HMAC key that signed it and the row it follows
-- (so `audit verify` can tell an edited row from a removed or reordered one). Rows from before
-- this migration keep key_id NULL and their unkeyed SHA-256 hash.
ALTER TABLE rtb_bot.audit_events ADD COLUMN key_id text, ADD COLUMN prev_id bigint;
-- A request's digest is an HMAC of its exact parameters with this key (NULL: from before).
ALTER TABLE rtb_bot.approval_requests ADD COLUMN digest_key text;

-- The runtime role: what the bot needs and nothing more. The owner role (whoever runs the
-- migrations) keeps ownership; the bot's login role is made a member of rtb_bot_runtime.
-- On the audit log it may only append and read: no UPDATE, DELETE, TRUNCATE, TRIGGER and, not
-- being the owner, no ALTER TABLE (so no DISABLE TRIGGER).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rtb_bot_runtime') THEN
        BEGIN
            CREATE ROLE rtb_bot_runtime NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL;  -- made at the same moment by a migration of another database
            WHEN insufficient_privilege THEN
                RAISE WARNING 'role rtb_bot_runtime does not exist and this role cannot create'
                    ' it: create it (README, Security) and apply the grants of migration 0004';
                RETURN;
        END;
    END IF;
    REVOKE ALL ON SCHEMA rtb_bot FROM PUBLIC;
    GRANT USAGE ON SCHEMA rtb_bot TO rtb_bot_runtime;
    GRANT SELECT ON rtb_bot.schema_migrations TO rtb_bot_runtime;
    GRANT SELECT, INSERT ON rtb_bot.audit_events TO rtb_bot_runtime;
    GRANT SELECT, INSERT, UPDATE, DELETE ON rtb_bot.approval_requests, rtb_bot.approval_votes,
        rtb_bot.approval_drafts, rtb_bot.job_claims TO rtb_bot_runtime;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA rtb_bot TO rtb_bot_runtime;
    -- Tables of later migrations (run by the owner) are the bot's working state: read-write.
    ALTER DEFAULT PRIVILEGES IN SCHEMA rtb_bot
        GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO rtb_bot_runtime;
    ALTER DEFAULT PRIVILEGES IN SCHEMA rtb_bot GRANT USAGE ON SEQUENCES TO rtb_bot_runtime;
END $$;
