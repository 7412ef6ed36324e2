-- Each user's `/rtb lang` (handlers/languages.py): the language the bot answers them in. A user
-- with no row reads the config's `language.default`. One row a user, replaced on each change.
CREATE TABLE rtb_bot.user_languages (
    user_id     text        PRIMARY KEY,                     -- Slack user id (U0123ABC)
    locale      text        NOT NULL CHECK (locale IN ('en', 'ko')),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The bot's working state (as 0004 grants the tables of later migrations by default; said
-- again here for a database whose migrations ran as another owner).
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'rtb_bot_runtime') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON rtb_bot.user_languages TO rtb_bot_runtime;
    END IF;
END $$;
