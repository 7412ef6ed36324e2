"""Tab in the console: every word offered comes from the command table or what the console
knows now (its users, buttons, sandbox verbs, jobs, the open form) — a pure function of the
text before the cursor."""

from __future__ import annotations

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from bot.console_completion import ConsoleCompleter, Vocabulary, complete
from handlers.spec import ENV, Arg, Command, Flag, choice
from handlers.table import TABLE

SANDBOX_VERBS = {"alarm": "<AlarmName> ALARM|OK|INSUFFICIENT_DATA", "oom": "<env> <namespace>"}
CONSOLE_COMMANDS = ("/rtb", "/click", "/submit", "/as", "/fire", "/sandbox", "/whoami", "/quit")
VOCABULARY = Vocabulary(
    TABLE,
    console_commands=CONSOLE_COMMANDS,
    users=("viewer1", "operator1", "lead1"),
    buttons=3,
    sandbox_verbs=SANDBOX_VERBS,
    jobs=("daily-digest", "weekly-digest"),
    form_options=("v1.42.0", "v1.41.0"),
)


def offered(line: str, vocabulary: Vocabulary = VOCABULARY) -> list[str]:
    return complete(line, vocabulary)


def test_the_first_word_is_a_console_command():
    assert offered("") == sorted(CONSOLE_COMMANDS)
    assert offered("/s") == ["/sandbox", "/submit"]


def test_every_command_of_the_table_completes_by_its_first_word():
    first_words = {verb.split()[0] for verb in TABLE}
    assert offered("/rtb ") == sorted(first_words)
    assert offered("/rtb pre") == ["preview", "previews"]
    assert offered("/rtb set") == ["set-image"]


def test_a_command_of_two_words_completes_its_second():
    assert offered("/rtb preview ") == ["cleanup", "create", "delete"]
    assert offered("/rtb preview cl") == ["cleanup"]
    # `queue <name>` is a command too: its flags beside the second words
    assert offered("/rtb queue ") == ["--failed", "pause", "resume", "retry-failed"]


def test_env_arguments_offer_the_table_envs_then_the_flags():
    assert offered("/rtb preview cleanup ") == ["--dry-run", "--reason", *sorted(ENV.options)]
    assert offered("/rtb scale p") == ["prd"]
    assert offered("/rtb scale prd app 0 ") == ["--namespace", "--reason"]
    assert offered("/rtb scale prd app 0 --namespace preview-x ") == ["--reason"]


def test_flags_complete_and_their_choice_values_too():
    assert offered("/rtb costs --") == ["--by", "--day", "--since"]
    assert offered("/rtb costs --by ") == ["env", "model"]
    assert offered("/rtb search workflow-engine x --level e") == ["error"]
    assert offered("/rtb logs --previous ") == [
        "--container",
        "--namespace",
        "--since",
        "--tail",
        *sorted(ENV.options),
    ]  # a switch takes no value: the next word is the env


def test_help_completes_command_names():
    assert offered("/rtb help que") == ["queue", "queues"]


def test_the_console_commands_complete_from_what_the_console_knows():
    assert offered("/as l") == ["lead1"]
    assert offered("/click ") == ["1", "2", "3"]
    assert offered("/fire w") == ["weekly-digest"]
    assert offered("/submit v1.4") == ["v1.41.0", "v1.42.0"]
    assert offered("/sandbox ") == ["alarm", "help", "oom"]
    assert offered("/sandbox alarm rtb-x ") == ["ALARM", "INSUFFICIENT_DATA", "OK"]
    assert offered("/sandbox oom ") == sorted(ENV.options)


@pytest.mark.parametrize(
    "line",
    [
        "/rtb nosuch ",
        "/rtb scale prd app 0 --reason ",
        '/rtb search x "open quote ',
        "/whoami ",
        "/as lead1 ",
    ],
)
def test_nothing_is_offered_where_any_text_goes(line):
    assert offered(line) == []


def test_a_new_command_completes_the_day_it_is_added():
    async def run(_call):  # never called: completion only reads the spec
        raise AssertionError

    table = {
        "drain": Command(
            "drain",
            "drain a node",
            run,
            args=(Arg("env", "where", ENV), Arg("mode", "how", choice("soft", "hard"))),
            flags=(Flag("wait", "wait for it", is_switch=True),),
        )
    }
    mine = Vocabulary(table)
    assert offered("/rtb d", mine) == ["drain"]
    assert offered("/rtb drain int ", mine) == ["--wait", "hard", "soft"]


def test_prompt_toolkit_replaces_the_word_being_typed():
    completer = ConsoleCompleter(lambda: VOCABULARY)
    document = Document("/rtb preview cl")
    (completion,) = completer.get_completions(document, CompleteEvent(completion_requested=True))
    assert completion.text == "cleanup" and completion.start_position == -2
