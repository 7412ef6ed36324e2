"""The fake Jira refuses what Jira Cloud refuses (auth, issue, body, media type, path), and the
bot's Jira backend (ops/backends/jira.py) names each failure without Jira's text or a secret."""

import aiohttp
import pytest

from handlers.render.failures import failure_text
from handlers.render.i18n import use_locale
from ops.backends.faults import BackendError, NotFound, Unavailable
from ops.backends.jira import JiraComments
from ops.config import Jira
from sandbox.fake_jira import NOT_FOUND, FakeJira

EMAIL, TOKEN = "bot@example.com", "jira-token-0123456789-secret"
DOC = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "expires soon"}]}],
}


@pytest.fixture
def jira():
    fake = FakeJira(email=EMAIL, api_token=TOKEN, issues=["PROJ-1"])
    fake.start()
    yield fake
    fake.stop()


def backend(fake, *, token=TOKEN, url=None, timeout=5.0):
    return JiraComments(Jira(url=url or fake.url, timeout_seconds=timeout), EMAIL, token)


async def post(fake, path, *, auth=(EMAIL, TOKEN), json=None, data=None):
    headers = {"Authorization": aiohttp.encode_basic_auth(*auth)} if auth else {}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(fake.url + path, json=json, data=data) as response,
    ):
        return response.status, await response.text()


async def test_a_valid_comment_is_created_and_recorded(jira):
    client = backend(jira)
    try:
        comment_id = await client.add_comment("proj-1", DOC)
    finally:
        await client.close()
    [recorded] = jira.comments_on("PROJ-1")
    assert recorded.id == comment_id and recorded.body == DOC and recorded.author == EMAIL
    assert recorded.text == "expires soon"


@pytest.mark.parametrize(
    ("path", "auth", "body", "status"),
    [
        ("/rest/api/3/issue/PROJ-1/comment", ("bot@example.com", "wrong"), {"body": DOC}, 401),
        ("/rest/api/3/issue/PROJ-1/comment", None, {"body": DOC}, 401),
        ("/rest/api/3/issue/PROJ-404/comment", (EMAIL, TOKEN), {"body": DOC}, 404),
        ("/rest/api/2/issue/PROJ-1/comment", (EMAIL, TOKEN), {"body": DOC}, 404),
        ("/rest/api/3/issue/PROJ-1/comments", (EMAIL, TOKEN), {"body": DOC}, 404),
        ("/rest/api/3/issue/PROJ-1/comment", (EMAIL, TOKEN), {"body": "plain text"}, 400),
        ("/rest/api/3/issue/PROJ-1/comment", (EMAIL, TOKEN), {"body": {**DOC, "version": 2}}, 400),
        (
            "/rest/api/3/issue/PROJ-1/comment",
            (EMAIL, TOKEN),
            {"body": {**DOC, "content": [{"type": "paragraph", "content": [{"type": "text"}]}]}},
            400,
        ),
        ("/rest/api/3/issue/PROJ-1/comment", (EMAIL, TOKEN), {"body": {**DOC, "content": []}}, 400),
    ],
)
async def test_what_jira_refuses_is_refused_and_nothing_is_recorded(jira, path, auth, body, status):
    answered, text = await post(jira, path, auth=auth, json=body)
    assert answered == status
    if status == 404 and "PROJ-404" in path:
        assert NOT_FOUND in text
    assert jira.comments == []


async def test_a_body_that_is_not_json_is_unsupported(jira):
    status, _ = await post(jira, "/rest/api/3/issue/PROJ-1/comment", data="body=x")
    assert status == 415 and jira.comments == []


@pytest.mark.parametrize(
    ("arrange", "issue", "kind", "reason"),
    [
        (lambda fake: None, "PROJ-9", NotFound, "HTTP 404 Not Found (no such issue"),
        (lambda fake: fake.fail_with(503), "PROJ-1", Unavailable, "HTTP 503 (Jira is failing)"),
    ],
)
async def test_the_backend_names_each_failure_from_the_status_only(
    jira, arrange, issue, kind, reason
):
    arrange(jira)
    client = backend(jira)
    try:
        with pytest.raises(BackendError) as caught:
            await client.add_comment(issue, DOC)
    finally:
        await client.close()
    assert caught.value.backend == "Jira" and type(caught.value) is kind
    assert failure_text(caught.value).startswith(reason)
    assert TOKEN not in str(caught.value) and "does not exist" not in caught.value.reason


async def test_a_wrong_token_is_named_and_not_shown(jira):
    client = backend(jira, token="not-the-token-7777")
    try:
        with pytest.raises(BackendError) as caught:
            await client.add_comment("PROJ-1", DOC)
    finally:
        await client.close()
    assert failure_text(caught.value).startswith("HTTP 401 Unauthorized (check JIRA_EMAIL")
    assert caught.value.may_have_applied is False
    assert "not-the-token-7777" not in str(caught.value)
    with use_locale("ko"):
        told = failure_text(caught.value)
    assert told.startswith("HTTP 401") and "JIRA_EMAIL" in told and "확인" in told


async def test_jira_that_does_not_answer_is_unreachable(jira):
    url = jira.url
    jira.stop()
    client = backend(jira, url=url)
    try:
        with pytest.raises(BackendError) as caught:
            await client.add_comment("PROJ-1", DOC)
    finally:
        await client.close()
    assert type(caught.value) is Unavailable and caught.value.may_have_applied is True
    assert failure_text(caught.value) == "unreachable (connection failed)"
