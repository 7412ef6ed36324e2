import pytest

from handlers.parse import parse, tokenize
from handlers.spec import ENV, Arg, Command, Flag, bounded_int, duration, kube_name
from ops.errors import UserError


async def _noop(call):  # pragma: no cover - never run by the parser
    raise AssertionError


TABLE = {
    "pods": Command(
        "pods",
        "List pods.",
        _noop,
        args=(
            Arg("env", "int, stg or prd", ENV),
            Arg("namespace", "namespace", kube_name, optional=True, default="rtb-ai-hub"),
        ),
        flags=(Flag("selector", "label selector"),),
    ),
    "logs": Command(
        "logs",
        "Tail logs.",
        _noop,
        args=(Arg("env", "env", ENV), Arg("target", "deployment or pod", kube_name)),
        flags=(
            Flag("tail", "lines", bounded_int(1, 5000), default=100),
            Flag("since", "window", duration),
            Flag("previous", "x", is_switch=True),
        ),
    ),
    "queue": Command("queue", "One queue.", _noop, args=(Arg("name", "queue"),)),
    "queue pause": Command(
        "queue pause", "Pause.", _noop, args=(Arg("name", "queue"),), mutating=True
    ),
}


def test_positional_defaults_and_flags():
    parsed = parse("pods prd --selector app=web", TABLE)
    assert parsed.command.verb == "pods"
    assert parsed.values == {"env": "prd", "namespace": "rtb-ai-hub", "selector": "app=web"}


def test_inline_flag_value_and_switch():
    values = parse("logs int workflow-engine --tail=20 --previous", TABLE).values
    assert values["tail"] == 20 and values["previous"] is True and values["since"] is None


def test_longest_verb_wins():
    assert parse("queue pause jira-queue", TABLE).command.verb == "queue pause"
    assert parse("queue jira-queue", TABLE).command.verb == "queue"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("podz int", "Did you mean `pods`?"),
        ("pods dev", "`dev` is not a valid <env>: must be one of: int, stg, prd."),
        ("pods", "Missing <env>"),
        ("pods int Bad_Name", "is not a valid <namespace>"),
        ("logs int web --tail lots", "must be a whole number"),
        ("logs int web --tail 999999", "must be between 1 and 5000"),
        ("logs int web --since yesterday", "must be a duration"),
        ("logs int web --tial 5", "Did you mean `--tail`?"),
        ("logs int web --tail", "`--tail` needs a value."),
        ("pods int ns extra words", "Unexpected `extra words`"),
        ('pods "int', "A quote is not closed"),
    ],
)
def test_bad_input_names_the_problem_and_shows_usage(text, expected):
    with pytest.raises(UserError) as caught:
        parse(text, TABLE)
    assert expected in str(caught.value)


def test_usage_line_comes_from_the_table():
    with pytest.raises(UserError) as caught:
        parse("pods", TABLE)
    assert caught.value.usage == "/rtb pods <env> [<namespace>] [--selector value]"


def test_hostile_text_is_echoed_short_and_without_backticks():
    with pytest.raises(UserError) as caught:
        parse("pods `rm -rf`" + "x" * 500, TABLE)
    message = caught.value.message
    assert "`rm" not in message and len(message) < 200


def test_too_long_command_is_refused():
    with pytest.raises(UserError):
        tokenize("x" * 10_000)


def test_smart_quotes_from_phones_work():
    assert tokenize("search workflow-engine \u201cgit push\u201d") == [
        "search",
        "workflow-engine",
        "git push",
    ]
