"""The Korean catalog says each thing one way, the runbook's (`ops-runbook.ko.md`): a rollout is
a 롤아웃 (the help, `/rtb rollout-status` and a followed rollout agree), and whoever approves a
prd change is a 팀장 (§1: "prd 리소스 조작은 팀장 Slack 승인 필요"), never a 리드 in one answer and
a 팀장 in the next; a label is a 레이블 (the Korean Kubernetes docs' word), never 라벨; a
Kubernetes kind stays English (namespace, like Deployment and Pod), so a card never reads
"Preview namespace 없음" above "Preview 네임스페이스 생성". Command words and code
(`/rtb rollout-status`, `kubectl rollout undo`) stay as typed."""

from __future__ import annotations

import re

import pytest

from handlers.render.catalogs import read_catalog

CODE = re.compile(r"`[^`]*`|\{[^}]*\}|kubectl rollout \w+")
# the word the runbook does not use -> the one it does
ONE_WORD = {
    re.compile(r"(?<![A-Za-z-])[Rr]ollout(?![A-Za-z-])"): "롤아웃",
    re.compile(r"리드"): "팀장",
    re.compile(r"네임스페이스"): "namespace",
    re.compile(r"라벨"): "레이블",  # a Kubernetes label, as the Korean Kubernetes docs write it
}


def _korean_prose() -> list[str]:
    texts = []
    for message in read_catalog("ko"):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        texts.extend(CODE.sub("", str(s or "")) for s in strings)
    return texts


@pytest.mark.parametrize("word", list(ONE_WORD), ids=["rollout", "lead", "namespace", "label"])
def test_the_korean_catalog_uses_the_runbooks_word(word):
    found = [text for text in _korean_prose() if word.search(text)]
    assert not found, f"write {ONE_WORD[word]}: {found[:3]}"
