"""Modals, opened at once with a loading view and filled later (Slack's pattern for slow work).

A trigger_id opens one view, within 3 s of the click or command. What comes before a form can
take longer: a heavy command's turn (4 at once, handlers.context.TaskTracker), the pre-flight
read of a change, a slow backend. So every form is opened at once, before any queue, with a
loading view (`Form.open`), and `views.update` fills it when the work is done (`Form.show`). A
form that turns out not to be needed shows the answer instead (`Form.show_answer`), and one the
work left behind (an error) says where the answer went: no form is ever left loading. A form
the gate asks for only after the fact (Confirm, when the policy changed in between) is opened
then, directly, and may find its trigger expired: the answer then says to add `--reason`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from handlers.render.forms import render_form_answer, render_form_elsewhere, render_loading_view
from handlers.render.general import render_user_error
from handlers.render.message import Message
from ops.errors import UserError

log = structlog.get_logger(__name__)


@dataclass
class Form:
    """One modal for one trigger_id. `view_id` is set once Slack opened it; `shown` once the
    loading view was replaced."""

    client: AsyncWebClient | None
    trigger_id: str
    title: str
    view_id: str | None = None
    shown: bool = False
    tried: bool = False  # a trigger_id opens one view, once: never asked twice

    @property
    def opened(self) -> bool:
        return self.view_id is not None

    async def open(self) -> bool:
        """The loading view, now: call this before anything that may wait."""
        return await self._open(render_loading_view(self.title))

    async def show(self, view: View) -> bool:
        """The form itself: fills the loading view, or opens it directly when none was opened
        in advance (the trigger may still be valid). False when Slack refused either."""
        if self.view_id is None:
            self.shown = await self._open(view)
            return self.shown
        try:
            assert self.client is not None
            await self.client.views_update(view_id=self.view_id, view=view.to_dict())
        except Exception:  # the user closed it, or Slack refused the view
            log.warning("could not fill a form", exc_info=True)
            return False
        self.shown = True
        return True

    async def show_answer(self, message: Message) -> None:
        """No form after all: an opened loading view shows `message` instead."""
        if self.opened and not self.shown:
            await self.show(render_form_answer(self.title, message))

    async def _open(self, view: View) -> bool:
        if self.client is None or not self.trigger_id or self.tried:
            return False
        self.tried = True
        try:
            opened = await self.client.views_open(trigger_id=self.trigger_id, view=view.to_dict())
        except Exception:  # expired_trigger_id, exchanged_trigger_id, …
            log.warning("could not open a form", exc_info=True)
            return False
        self.view_id = str(opened["view"]["id"])
        return True


@asynccontextmanager
async def form_opened_if(
    needed: bool, client: AsyncWebClient | None, trigger_id: str, title: str
) -> AsyncIterator[Form]:
    """A `Form` opened at once when `needed`; whatever happens inside, it is not left loading:
    a user error (the target is missing) shows there too, then goes on to the usual answer."""
    form = Form(client, trigger_id, title)
    if needed:
        await form.open()
    try:
        yield form
    except UserError as exc:
        await form.show_answer(render_user_error(exc))
        raise
    finally:
        if form.opened and not form.shown:
            await form.show(render_form_elsewhere(title))
