"""Text the bot can store. PostgreSQL's `text` and `jsonb` refuse NUL (U+0000), and UTF-8 has no
encoding for a lone surrogate (U+D800–U+DFFF, which a JSON `\\ud800` escape in a Slack payload
can carry). Free text that may reach the database (a reason, a reject note, a filter) is checked
where it enters, so it is answered as bad input, not as a database error with a correlation id.
"""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def first_unstorable(text: str) -> int | None:
    """The code point of the first character of `text` the database cannot hold; else None
    (`handlers/render/errors.character_name` names it for a person)."""
    found = _UNSTORABLE.search(text)
    return None if found is None else ord(found[0])
