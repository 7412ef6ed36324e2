"""The outbox over real PostgreSQL and the fake Slack Web API (the real AsyncWebClient)."""

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from handlers.outbox_sender import METADATA_EVENT, OutboxSender
from ops.backends.db import Database, migrate
from ops.errors import BackendError
from ops.outbox import Outbox

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
async def bot_db(pg_url):
    db = Database("bot", pg_url)
    await db.open()
    await migrate(db)
    yield db
    await db.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def outbox(bot_db, clock):
    return Outbox(bot_db, clock=clock)


def sender_for(outbox, fake_slack, replica="pod-a", base_url=None):
    client = AsyncWebClient(token="xoxb-test", base_url=base_url or fake_slack.base_url)
    return OutboxSender(outbox, client, replica, per_channel_seconds=0.05)


async def test_enqueued_message_is_posted_once_with_its_key_and_ts_recorded(outbox, fake_slack):
    sender = sender_for(outbox, fake_slack)
    first = await outbox.enqueue("C_ALERTS", BLOCKS, "hello", "digest:1")
    assert await outbox.enqueue("C_ALERTS", BLOCKS, "other", "digest:1") == first  # same key
    await sender.deliver_due()
    await sender.deliver_due()
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].args["metadata"] == {
        "event_type": METADATA_EVENT,
        "event_payload": {"key": "digest:1"},
    }
    message = await outbox.get("digest:1")
    assert message.ts == fake_slack.messages("C_ALERTS")[0]["ts"]
    assert (message.delivered, message.in_doubt, message.text) == (True, False, "hello")


async def test_update_edits_the_recorded_ts_and_a_reply_goes_to_the_thread(outbox, fake_slack):
    sender = sender_for(outbox, fake_slack)
    await outbox.enqueue("C_ALERTS", BLOCKS, "hello", "digest:1")
    await outbox.enqueue("C_ALERTS", BLOCKS, "reminder", "digest:1:reminder", thread_key="digest:1")
    await sender.deliver_due()
    ts = (await outbox.get("digest:1")).ts
    assert [m["text"] for m in fake_slack.thread("C_ALERTS", ts)] == ["reminder"]
    new_blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "ticked"}}]
    assert await outbox.update("digest:1", new_blocks, "ticked")
    await sender.deliver_due()
    updates = fake_slack.calls_to("chat.update")
    assert [(u.args["channel"], u.args["ts"]) for u in updates] == [("C_ALERTS", ts)]
    assert fake_slack.message("C_ALERTS", ts)["blocks"] == new_blocks
    assert len(fake_slack.calls_to("chat.postMessage")) == 2
    assert not await outbox.update("no-such-key", new_blocks)


async def test_a_reply_waits_for_its_thread_to_be_posted(outbox, fake_slack, clock):
    sender = sender_for(outbox, fake_slack)
    await outbox.enqueue("C_ALERTS", BLOCKS, "hello", "digest:1")
    await outbox.enqueue("C_ALERTS", BLOCKS, "reminder", "digest:1:r", thread_key="digest:1")
    fake_slack.fail_next("chat.postMessage", "internal_error", count=1)  # the parent fails
    await sender.deliver_due()
    assert fake_slack.messages("C_ALERTS") == []
    clock.advance(600)
    await sender.deliver_due()
    texts = [m["text"] for m in fake_slack.messages("C_ALERTS")]
    assert texts == ["hello", "reminder"]


async def test_a_reply_whose_parent_was_given_up_goes_to_its_channel_once(
    outbox, fake_slack, clock
):
    await outbox.enqueue("C_ALERTS", BLOCKS, "hello", "digest:1")
    await outbox.enqueue("C_ALERTS", BLOCKS, "details", "digest:1:d", thread_key="digest:1")
    fake_slack.fail_next("chat.postMessage", "invalid_blocks")  # Slack refuses the parent
    sender = sender_for(outbox, fake_slack)
    await sender.deliver_due()
    for _ in range(3):
        clock.advance(600)
        await sender.deliver_due()
    assert [m["text"] for m in fake_slack.messages("C_ALERTS")] == ["details"]
    reply = await outbox.get("digest:1:d")
    assert reply.ts is not None and reply.gave_up_at is None  # sent, not retried forever
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


async def test_rate_limited_post_waits_for_retry_after_then_posts_once(outbox, fake_slack, clock):
    sender = sender_for(outbox, fake_slack)
    await outbox.enqueue("C_ALERTS", BLOCKS, "one", "k1")
    await outbox.enqueue("C_ALERTS", BLOCKS, "two", "k2")
    fake_slack.fail_next("chat.postMessage", "ratelimited", retry_after=30)
    await sender.deliver_due()
    assert fake_slack.messages("C_ALERTS") == []
    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # the second waits too
    clock.advance(29)
    await sender.deliver_due()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # not retried before Retry-After
    clock.advance(1)
    await sender.deliver_due()
    assert [m["text"] for m in fake_slack.messages("C_ALERTS")] == ["one", "two"]


async def test_slack_down_during_the_send_sends_later_once(outbox, fake_slack, clock):
    dead = sender_for(outbox, fake_slack, base_url="http://127.0.0.1:9/api/")  # nothing listens
    await outbox.enqueue("C_ALERTS", BLOCKS, "hello", "digest:1")
    await dead.deliver_due()
    message = await outbox.get("digest:1")
    assert (message.posted, message.in_doubt) == (False, True)
    assert message.last_error  # named (an error type), kept for /rtb schedules
    await sender_for(outbox, fake_slack).deliver_due()
    assert fake_slack.messages("C_ALERTS") == []  # backoff: not yet
    clock.advance(10)
    await sender_for(outbox, fake_slack).deliver_due()
    await sender_for(outbox, fake_slack).deliver_due()
    assert [m["text"] for m in fake_slack.messages("C_ALERTS")] == ["hello"]


async def test_posted_but_not_recorded_is_found_in_the_channel_not_posted_again(
    outbox, fake_slack, bot_db, clock
):
    sender = sender_for(outbox, fake_slack)
    await outbox.enqueue("C_ALERTS", BLOCKS, "hello", "digest:1")
    await sender.deliver_due()
    ts = (await outbox.get("digest:1")).ts
    # What a crash between Slack's ok and recording it leaves: posted, ts unknown, in doubt.
    await bot_db.execute(
        "UPDATE rtb_bot.outbox SET ts = NULL, posted_channel = NULL, sent_version = 0,"
        " in_doubt = true, lease_until = %s WHERE key = 'digest:1'",
        (clock.now + timedelta(seconds=60),),
    )
    await sender_for(outbox, fake_slack, "pod-b").deliver_due()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # still leased by the dead replica
    clock.advance(61)
    await sender_for(outbox, fake_slack, "pod-b").deliver_due()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    history = fake_slack.calls_to("conversations.history")
    assert history and history[0].args["include_all_metadata"] in (True, "true", "1")
    assert (await outbox.get("digest:1")).ts == ts


async def test_in_doubt_but_never_posted_is_posted(outbox, fake_slack, bot_db):
    await outbox.enqueue("C_ALERTS", BLOCKS, "hello", "digest:1")
    await bot_db.execute("UPDATE rtb_bot.outbox SET in_doubt = true, attempts = 1")
    await sender_for(outbox, fake_slack).deliver_due()
    assert [m["text"] for m in fake_slack.messages("C_ALERTS")] == ["hello"]


async def test_a_refused_message_is_given_up_not_retried(outbox, fake_slack, clock):
    await outbox.enqueue("C0NOWHERE", BLOCKS, "hello", "digest:1")
    fake_slack.fail_next("chat.postMessage", "channel_not_found")
    sender = sender_for(outbox, fake_slack)
    await sender.deliver_due()
    clock.advance(3600)
    await sender.deliver_due()
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    message = await outbox.get("digest:1")
    assert (message.gave_up_at is not None, message.last_error) == (True, "channel_not_found")


async def test_two_replicas_sending_at_once_post_each_message_once(outbox, fake_slack):
    for n in range(6):
        await outbox.enqueue(f"C0{n % 2}", BLOCKS, f"m{n}", f"k{n}")
    senders = [sender_for(outbox, fake_slack, f"pod-{r}") for r in range(3)]
    await asyncio.gather(*(s.deliver_due() for s in senders))
    texts = sorted(c.args["text"] for c in fake_slack.calls_to("chat.postMessage"))
    assert texts == [f"m{n}" for n in range(6)]


async def test_posts_to_one_channel_are_spaced(outbox, fake_slack):
    sender = sender_for(outbox, fake_slack)
    sender.per_channel_seconds = 0.3
    for n in range(3):
        await outbox.enqueue("C_ALERTS", BLOCKS, f"m{n}", f"k{n}")
    await sender.deliver_due()
    at = [c.at for c in fake_slack.calls_to("chat.postMessage")]
    assert [c.args["text"] for c in fake_slack.calls_to("chat.postMessage")] == ["m0", "m1", "m2"]
    # a lower bound set by the sender's own wait, not a performance figure
    assert all(later - earlier >= 0.25 for earlier, later in itertools.pairwise(at))


# -- files (the weekly chart): uploaded into the thread once, like a post ----------------------

PNG = b"\x89PNG\r\n\x1a\n-chart-"


async def enqueue_digest_with_chart(outbox):
    await outbox.enqueue("C_ALERTS", BLOCKS, "digest", "digest:1")
    await outbox.enqueue_file(
        "C_ALERTS", PNG, "chart.png", "The chart", "digest:1:chart", thread_key="digest:1"
    )


def files_in_thread(fake_slack, ts):
    return [f["name"] for m in fake_slack.thread("C_ALERTS", ts) for f in m.get("files", [])]


async def test_a_file_is_uploaded_into_its_thread_once_and_its_bytes_dropped(outbox, fake_slack):
    await enqueue_digest_with_chart(outbox)
    sender = sender_for(outbox, fake_slack)
    await sender.deliver_due()
    await sender.deliver_due()
    ts = (await outbox.get("digest:1")).ts
    [upload] = fake_slack.uploads
    assert (upload.channel_id, upload.thread_ts, upload.content) == ("C_ALERTS", ts, PNG)
    assert (upload.filename, upload.title) == ("chart.png", "The chart")
    assert files_in_thread(fake_slack, ts) == ["chart.png"]
    chart = await outbox.get("digest:1:chart")
    assert (chart.file_id, chart.file, chart.delivered) == (upload.file_id, None, True)
    assert not await outbox.update("digest:1:chart", BLOCKS)  # a file is never edited


async def test_a_sender_cut_off_between_upload_and_mark_leaves_one_file_in_the_thread(
    bot_db, pg_proxy, fake_slack, clock
):
    proxy, url = pg_proxy
    cut_db = Database("bot", url, timeout=2)
    await cut_db.open()
    try:
        dying = Outbox(cut_db, clock=clock)
        await enqueue_digest_with_chart(dying)
        proxy.cut_when_sent(b"SET sent_version = version, posted_channel")  # mark_uploaded
        with pytest.raises(BackendError):  # PostgreSQL is gone mid-round
            await sender_for(dying, fake_slack, "pod-a").deliver_due()  # digest, then chart
    finally:
        await cut_db.close()
    assert len(fake_slack.uploads) == 1  # Slack has the file; the outbox does not know
    chart = await Outbox(bot_db, clock=clock).get("digest:1:chart")
    assert (chart.in_doubt, chart.file_id, chart.file) == (True, None, PNG)

    clock.advance(61)  # the dead replica's lease runs out
    survivor = Outbox(bot_db, clock=clock)
    await sender_for(survivor, fake_slack, "pod-b").deliver_due()
    await sender_for(survivor, fake_slack, "pod-b").deliver_due()

    ts = (await survivor.get("digest:1")).ts
    assert files_in_thread(fake_slack, ts) == ["chart.png"]
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 1
    chart = await survivor.get("digest:1:chart")
    [upload] = fake_slack.uploads
    assert (chart.in_doubt, chart.file, chart.file_id) == (False, None, upload.file_id)


async def test_slack_down_at_the_upload_uploads_later_once(outbox, fake_slack, clock):
    await outbox.enqueue("C_ALERTS", BLOCKS, "digest", "digest:1")
    await sender_for(outbox, fake_slack).deliver_due()  # the digest
    await outbox.enqueue_file(
        "C_ALERTS", PNG, "chart.png", "The chart", "digest:1:chart", thread_key="digest:1"
    )
    await sender_for(outbox, fake_slack, base_url="http://127.0.0.1:9/api/").deliver_due()
    chart = await outbox.get("digest:1:chart")
    assert (chart.in_doubt, chart.delivered, chart.last_error is not None) == (True, False, True)
    assert fake_slack.uploads == []
    clock.advance(10)  # past the backoff
    await sender_for(outbox, fake_slack).deliver_due()
    await sender_for(outbox, fake_slack).deliver_due()
    ts = (await outbox.get("digest:1")).ts
    assert files_in_thread(fake_slack, ts) == ["chart.png"]
    assert len(fake_slack.uploads) == 1
    assert fake_slack.calls_to("conversations.replies")  # it looked before uploading again


async def test_a_rate_limited_upload_waits_for_retry_after(outbox, fake_slack, clock):
    await enqueue_digest_with_chart(outbox)
    await sender_for(outbox, fake_slack).deliver_due()
    clock.advance(10)
    fake_slack.fail_next("files.getUploadURLExternal", "ratelimited", retry_after=30)
    await outbox.enqueue_file("C_ALERTS", PNG, "other.png", "t", "other", thread_key="digest:1")
    sender = sender_for(outbox, fake_slack)
    clock.advance(1)
    await sender.deliver_due()
    assert [u.filename for u in fake_slack.uploads] == ["chart.png"]  # "other" waits
    clock.advance(29)
    await sender.deliver_due()
    assert [u.filename for u in fake_slack.uploads] == ["chart.png"]  # not before Retry-After
    clock.advance(1)
    await sender.deliver_due()
    ts = (await outbox.get("digest:1")).ts
    assert sorted(files_in_thread(fake_slack, ts)) == ["chart.png", "other.png"]
