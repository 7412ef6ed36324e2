-- TRUNCATE skips row triggers: refuse it too, so the audit log cannot be emptied in one
-- statement by a role that may write to it.
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON rtb_bot.audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION rtb_bot.audit_events_append_only();
