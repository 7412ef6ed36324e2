"""The command surface's words beyond the verbs: Korean aliases and the runbook's stages.

Data, read by the parser (aliases, did-you-mean) and by `/rtb help` (its groups in Korean).
The verbs stay English everywhere (`/rtb status` is what the runbook and the team type); an
alias is a second way in for the few commands a Korean on-call reaches for first at 3 a.m.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from handlers.render.i18n import N_, Locale

# `/rtb 상태` is `/rtb status`: the alias replaces the first word only (`/rtb 상태 prd`).
KOREAN_ALIASES: Final[Mapping[str, str]] = {
    "상태": "status",
    "큐": "queues",
    "비용": "costs",
    "승인": "approvals",
    "알람": "alarms",
    "장애": "incidents",
    "도움말": "help",
    "언어": "lang",
}

# Runbook §5.1's five stages, in its order, then what is not a stage of an incident.
DETECT, INVESTIGATE, ISOLATE, RECOVER, POSTMORTEM = (
    N_("Detect"),
    N_("Investigate"),
    N_("Isolate"),
    N_("Recover"),
    N_("Post-incident analysis"),
)
APPROVALS, GENERAL = N_("Approvals"), N_("General")
STAGES: Final[tuple[str, ...]] = (
    DETECT,
    INVESTIGATE,
    ISOLATE,
    RECOVER,
    POSTMORTEM,
    APPROVALS,
    GENERAL,
)
# A command table group's stage …
STAGE_OF_GROUP: Final[Mapping[str, str]] = {
    "Investigate": INVESTIGATE,
    "Digests": DETECT,
    "Incidents": DETECT,
    "Change": RECOVER,
    "Approvals": APPROVALS,
    "General": GENERAL,
}
# … unless the runbook puts the verb elsewhere: §5.1 isolates with scale-down and queue pause,
# and looks at changes (CloudTrail, the bot's audit) after the incident.
STAGE_OF_VERB: Final[Mapping[str, str]] = {
    "status": DETECT,
    "alarms": DETECT,
    "scale": ISOLATE,
    "queue pause": ISOLATE,  # a name: a verb
    "trail": POSTMORTEM,
    "audit": POSTMORTEM,
}
# Korean help follows the runbook's stages (the team's runbook is Korean); English help keeps
# the command table's own groups, as it always showed them.
STAGED_HELP_LOCALES: Final[frozenset[Locale]] = frozenset({"ko"})


def stage_of(verb: str, group: str) -> str:
    return STAGE_OF_VERB.get(verb) or STAGE_OF_GROUP.get(group, GENERAL)
