"""The week a weekly digest covers: the 7 local days before today's local midnight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ops.config import Config
from ops.costs import local_midnight

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Week:
    """[start, end), whole days in the configured time zone: Monday's digest covers Mon–Sun.

    Cost Explorer counts whole UTC days instead (see ops.weekly.fargate).
    """

    start: datetime
    end: datetime

    @classmethod
    def before(cls, now: datetime, timezone: str) -> Week:
        end = local_midnight(now, timezone)
        return cls(end - WEEK, end)

    @property
    def previous(self) -> Week:
        return Week(self.start - WEEK, self.start)

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def inner_seconds(config: Config) -> float:
    """A weekly source's own parts (envs, weeks) give up a little before the source does, so a
    slow part is named as itself rather than the whole source timing out."""
    return config.weekly.source_seconds * 0.8
