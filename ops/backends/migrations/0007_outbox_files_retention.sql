-- A file in the outbox (ops/outbox.py `enqueue_file`): the weekly chart is uploaded by the
-- sender like a message is posted, once, even across a crash. `filename` marks a file row (it
-- is also how an in-doubt upload is recognised in its thread), `file` holds the bytes until
-- Slack has them (then NULL), `file_id` is Slack's id of the uploaded file.
ALTER TABLE rtb_bot.outbox
    ADD COLUMN filename text,
    ADD COLUMN file     bytea,
    ADD COLUMN file_id  text;

-- Housekeeping (ops/retention.py) deletes delivered rows by age and claims by period.
CREATE INDEX outbox_delivered_at ON rtb_bot.outbox (sent_at)
    WHERE sent_version >= version AND gave_up_at IS NULL;
CREATE INDEX job_claims_scheduled_for ON rtb_bot.job_claims (scheduled_for);
