"""The console on a terminal: prompt_toolkit reads the lines (history, Tab completion). Driven
with prompt_toolkit's own pipe input and a dummy output, against the test bot's real servers."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace

import pytest
from prompt_toolkit.history import FileHistory, InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from bot.app import create_runtime
from bot.console import CONSOLE_SIGNING_SECRET, Console
from bot.console_loop import run_prompted
from bot.console_prompt import history_path, open_history, prompt_session
from tests.fixtures.bot import USERS

TAB, ENTER, CTRL_C, CTRL_D, UP = "\t", "\r", "\x03", "\x04", "\x1b[A"


@pytest.fixture
async def console(bot_settings, fake_slack):
    secrets = replace(bot_settings.secrets, slack_signing_secret=CONSOLE_SIGNING_SECRET)
    runtime = create_runtime(replace(bot_settings, secrets=secrets), retries=0)
    await runtime.start()
    try:
        yield Console(runtime, fake_slack, USERS, "operator1", io.StringIO())
    finally:
        await runtime.stop()


async def type_into(console: Console, keys: str, history, *, completed: str = "") -> str:
    """Type `keys`; with `completed`, the keys before a Tab, then (once the line reads
    `completed`: prompt_toolkit completes in the background) the rest after it."""
    with create_pipe_input() as pipe:
        session = prompt_session(console.vocabulary, history, input=pipe, output=DummyOutput())
        reading = asyncio.ensure_future(run_prompted(console, session))
        if completed:
            before, after = keys.split(TAB, 1)
            pipe.send_text(before + TAB)
            await settle(lambda: session.default_buffer.text == completed)
            keys = after
        pipe.send_text(keys)
        await asyncio.wait_for(reading, 60)
    out = console.out
    assert isinstance(out, io.StringIO)
    return out.getvalue()


async def settle(condition, timeout: float = 10.0) -> None:
    """Wait until `condition()` holds (what prompt_toolkit does in the background)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_tab_completes_and_the_completed_line_runs(console, tmp_path):
    history = open_history(tmp_path / "rtb-ops-bot" / "console_history")
    await type_into(console, f"/as vie{TAB}{ENTER}{CTRL_D}", history, completed="/as viewer1")
    await type_into(console, f"/rtb whoa{TAB}{ENTER}{CTRL_D}", history, completed="/rtb whoami")
    await type_into(console, f"/who{TAB}{ENTER}{CTRL_D}", history, completed="/whoami")
    out = console.out.getvalue()
    assert "now acting as viewer1 (UVIEWER1)" in out and "whoa`" not in out
    assert "acting as viewer1 (UVIEWER1)" in out.split("now acting as")[1]  # /whoami
    assert list(history.load_history_strings()) == ["/whoami", "/rtb whoami", "/as viewer1"]


async def test_ctrl_c_drops_the_line_being_typed_and_ctrl_d_leaves(console):
    out = await type_into(
        console, f"/as lead1{CTRL_C}/whoami{ENTER}{CTRL_D}/as lead2{ENTER}", InMemoryHistory()
    )
    assert "acting as operator1 (UOPERATOR1)" in out  # the dropped line never ran
    assert "lead" not in out  # nor did anything after Ctrl-D


async def test_the_history_of_an_earlier_session_is_offered_with_the_up_arrow(console, tmp_path):
    path = tmp_path / "console_history"
    await type_into(console, f"/as lead2{ENTER}{CTRL_D}", open_history(path))
    await console.execute("/as viewer1")
    history = open_history(path)  # a new session: read from the file
    with create_pipe_input() as pipe:
        session = prompt_session(console.vocabulary, history, input=pipe, output=DummyOutput())
        reading = asyncio.ensure_future(run_prompted(console, session))
        await settle(lambda: "/as lead2" in history.get_strings())  # loaded for this prompt
        pipe.send_text(f"{UP}{ENTER}{CTRL_D}")
        await asyncio.wait_for(reading, 60)
    assert console.user_name == "lead2"  # the line from the first session, run again


def test_the_history_lives_in_the_users_state_dir_never_in_the_repository(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    default = tmp_path / "home" / ".local" / "state" / "rtb-ops-bot" / "console_history"
    assert history_path({}) == default
    assert history_path({"XDG_STATE_HOME": str(tmp_path / "state")}) == (
        tmp_path / "state" / "rtb-ops-bot" / "console_history"
    )
    assert history_path({"XDG_STATE_HOME": "relative/dir"}) == default  # the spec: ignored
    assert isinstance(open_history(default), FileHistory)
    assert default.stat().st_mode & 0o077 == 0 and default.parent.stat().st_mode & 0o077 == 0


def test_a_history_that_cannot_be_written_lasts_the_session(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert isinstance(open_history(blocked / "rtb-ops-bot" / "console_history"), InMemoryHistory)
