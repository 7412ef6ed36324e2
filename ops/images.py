"""The hub's images in the int ECR repository (`hub.ecr_repository`): tags that exist, newest.

Every env runs images from int's repository (runbook §7: "set image to a given tag of the int ECR
repository rtb-hub"), so the image of a tag is the same string in every env.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ops.backends.container import Backends
from ops.backends.faults import NotFound
from ops.config import Config
from ops.errors import Invalid, Problem, UserError

# The OCI distribution spec's tag grammar: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
MAX_PAGES = 20
NEWEST_SHOWN = 3


def check_tag(text: str) -> str:
    """An image tag as the OCI spec allows it (the user's text never reaches ECR unchecked)."""
    if not _TAG.fullmatch(text):
        raise Invalid(Problem.IMAGE_TAG_SHAPE)
    return text


def hub_image(config: Config, tag: str) -> str:
    """`<int account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`."""
    home = config.environments["int"]
    return (
        f"{home.account_id}.dkr.ecr.{home.region}.amazonaws.com/{config.hub.ecr_repository}:{tag}"
    )


def tag_of(config: Config, image: str) -> str | None:
    """The tag of an image of the hub's repository (any registry), else None."""
    repository, _, tag = image.rpartition(":")
    if "/" in tag or not repository.endswith("/" + config.hub.ecr_repository):
        return None
    return tag or None


@dataclass(frozen=True)
class PushedTag:
    tag: str
    pushed_at: datetime | None
    digest: str | None


async def find_tag(backends: Backends, tag: str) -> PushedTag:
    """The tag in the repository; UserError naming the newest tags when it is not there."""
    repository = backends.config.hub.ecr_repository
    try:
        page = await _describe(backends, repositoryName=repository, imageIds=[{"imageTag": tag}])
    except NotFound:  # ImageNotFoundException
        newest = tuple(t.tag for t in await recent_tags(backends, NEWEST_SHOWN))
        raise UserError(
            Problem.TAG_NOT_IN_REPOSITORY, tag=tag, repository=repository, newest=newest
        ) from None
    details = page.get("imageDetails") or [{}]
    return PushedTag(tag, details[0].get("imagePushedAt"), details[0].get("imageDigest"))


async def recent_tags(backends: Backends, limit: int = 10) -> list[PushedTag]:
    """The last `limit` tags pushed, newest first (a multi-tag image lists each of its tags)."""
    repository = backends.config.hub.ecr_repository
    found: list[PushedTag] = []
    args: dict[str, Any] = {"repositoryName": repository, "filter": {"tagStatus": "TAGGED"}}
    for _ in range(MAX_PAGES):
        page = await _describe(backends, **args)
        for image in page.get("imageDetails") or []:
            for tag in image.get("imageTags") or []:
                found.append(PushedTag(tag, image.get("imagePushedAt"), image.get("imageDigest")))
        if not page.get("nextToken"):
            break
        args["nextToken"] = page["nextToken"]
    found.sort(key=lambda t: (t.pushed_at.timestamp() if t.pushed_at else 0.0, t.tag), reverse=True)
    return found[:limit]


async def _describe(backends: Backends, **args: Any) -> dict[str, Any]:
    name, timeout = "AWS int ecr", backends.config.timeouts.backend_seconds  # a name
    client = await backends.blocking.run(name, timeout, backends.aws.client, "int", "ecr")
    page: dict[str, Any] = await backends.blocking.run(
        name, timeout, client.describe_images, **args
    )
    return page
