"""The weekly digest's renderer: golden files, the key numbers asserted directly, Slack's
limits on the largest realistic week, and an unreadable source as a named item."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from handlers.render.i18n import use_locale
from handlers.render.message import MAX_BLOCKS, MAX_SECTION_TEXT, Message
from handlers.render.weekly import INLINE_LINES, LOOK, OK, UNREAD, render_weekly
from ops.fanout import Failed, Part
from ops.previews import Preview, PreviewReport
from ops.weekly.assume_role import AssumeRoleAudit, Caller
from ops.weekly.chart import AiDaily
from ops.weekly.digest import WeeklyDigest
from ops.weekly.fargate import EnvFargate, FargateWeek
from ops.weekly.sampler import EngineSample
from ops.weekly.scaling import summarize
from ops.weekly.ttl import CleanupError, CleanupLines, TtlFailures
from ops.weekly.window import Week
from tests.golden import assert_golden, shown

NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
WEEK = Week.before(NOW, "Asia/Seoul")
FIRST_DAY = date(2026, 2, 16)
INT, STG, PRD = "111111111111", "222222222222", "333333333333"


def env_fargate(env, account, before, this):
    days = [(FIRST_DAY + timedelta(days=n), Decimal(before)) for n in range(7)]
    days += [(FIRST_DAY + timedelta(days=7 + n), Decimal(this)) for n in range(7)]
    return EnvFargate(env, account, tuple(days), date(2026, 2, 23))


def fargate_week(failures=()):
    envs = (env_fargate("int", INT, "2.00", "2.10"), env_fargate("stg", STG, "1.00", "1.50"))
    return FargateWeek(date(2026, 2, 23), date(2026, 3, 2), envs, tuple(failures))


def samples(changes_per_day=4):
    rows = []
    for minute in range(0, 7 * 24 * 60, 1):
        at = WEEK.start + timedelta(minutes=minute)
        hour = (minute // 60) % 24
        replicas = 0 if hour < 8 else 3 if hour == 15 else 2
        busy = 0 if hour == 15 else 1
        rows.append(EngineSample(at, replicas, replicas, hour == 10, busy, 0))
    return rows


def audit(callers, **overrides):
    values = {
        "week": WEEK,
        "roles": (
            ("stg", f"arn:aws:iam::{STG}:role/rtb-hub-deployer"),
            ("prd", f"arn:aws:iam::{PRD}:role/rtb-hub-deployer"),
        ),
        "callers": tuple(callers),
        "calls": sum(c.calls for c in callers),
        "failed": sum(c.failed for c in callers),
        "errors": (("AccessDenied", 2),),
        "capped": (),
        "failures": (),
        "baseline_known": True,
    }
    return AssumeRoleAudit(**{**values, **overrides})


def caller(principal, identity="", calls=1, failed=0, new=False, new_identity=False):
    return Caller(
        principal,
        identity,
        ("prd",),
        calls,
        failed,
        WEEK.end - timedelta(hours=3),
        new,
        new_identity,
    )


def preview(issue, expired_hours_ago):
    expires = NOW - timedelta(hours=expired_hours_ago)
    return Preview(
        "int", f"preview-{issue.lower()}", issue, None, expires, False, False, (), True, False
    )


def ttl(errors=(), outlived=()):
    lines = CleanupLines(tuple(errors), sum(e.count for e in errors), True)
    report = PreviewReport(("int", "stg", "prd"), tuple(outlived), (), NOW, 2.0)
    return TtlFailures(WEEK, "/rtb-ai-hub/workflow-engine", Part(value=lines), Part(value=report))


def digest(**parts):
    values = {
        "fargate": Part(value=fargate_week()),
        "scaling": Part(value=summarize(samples(), WEEK, "workflow-engine", 0.05)),
        "assume_role": Part(
            value=audit(
                [
                    caller(f"{INT}:AROA111111CIRUNNER", calls=1, failed=1, new=True),
                    caller(f"{INT}:AROA111111RTBOPSBOT", "UOPERATOR1", calls=40),
                    caller(f"{INT}:AROA111111RTBHUBSA", calls=6, failed=2),
                ]
            )
        ),
        "ttl": Part(
            value=ttl(
                [CleanupError("int", "PROJ-130", "namespace has finalizers", 3, WEEK.start, NOW)],
                [preview("PROJ-130", 50)],
            )
        ),
        "ai_daily": Part(value=AiDaily(())),
    }
    values.update(parts)
    return WeeklyDigest(week=WEEK, built_at=NOW, timezone="Asia/Seoul", **values)


def texts(message: Message) -> list[str]:
    return [b["text"]["text"] for b in message.blocks_json() if b["type"] == "section"]


def within_limits(message: Message) -> None:
    assert len(message.blocks) <= MAX_BLOCKS
    for block in message.blocks_json():
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION_TEXT


def test_a_week_with_something_in_every_item():
    rendered = render_weekly(digest())
    assert_golden("weekly_digest", rendered.main)
    fargate, scaling, trail, previews = texts(rendered.main)
    # Fargate: int 7 × 2.10 = 14.70 vs 14.00 (+5 %), stg 10.50 vs 7.00 (+50 %: look)
    assert fargate.startswith(f"{LOOK} *1. Fargate cost per env*")
    assert "*$25.20* from 02-23 to 03-01" in fargate and "+20% on $21.00" in fargate
    assert "`int` (111111111111): $14.70, +5% on $14.00" in fargate
    assert "`stg` (222222222222): $10.50, +50% on $7.00 :warning:" in fargate
    # Scaling: a day is 0 until 08:00, then 15 h × 2 replicas + 15:00–16:00 × 3 (idle) = 33
    assert "*231.0* replica-hours, *21.0* idle (9%" in scaling
    assert "= *$1.05* at $0.05 a replica-hour" in scaling and scaling.startswith(OK)
    assert "27 scaling changes, at most 3 replicas; KEDA paused 420 min" in scaling
    assert f"_… {27 - INLINE_LINES:,} more in the thread_" in scaling
    assert trail.startswith(LOOK) and "*47* AssumeRole into `stg` rtb-hub-deployer" in trail
    assert "*3* failed (AccessDenied 2); 3 callers, *1 new*" in trail
    assert ":warning: *new caller* `111111111111:AROA111111CIRUNNER` → prd: 1×, 1 failed" in trail
    assert previews.startswith(LOOK) and "*3* `cleanupExpired()` error lines" in previews
    assert "`int` PROJ-130: expired Sat 02-28 07:00, still present" in previews
    assert "`int` PROJ-130: 3× namespace has finalizers (last Mon 03-02 09:00)" in previews
    assert rendered.main.text == (
        "Weekly checklist 2026-02-23 – 2026-03-01: look at Fargate cost per env, "
        "Cross-account AssumeRole audit, Preview TTL expiry failures"
    )
    (thread,) = rendered.thread
    assert_golden("weekly_digest_thread", thread)
    assert "2. KEDA scaling and workflow-engine idle time: the rest" in thread.text
    assert len("\n".join(texts(thread)).splitlines()) == 27 - INLINE_LINES


def test_each_source_that_failed_is_a_named_item():
    down = Failed("AWS int logs", "no answer within 30 s")
    rendered = render_weekly(
        digest(
            fargate=Part(failure=Failed("Cost Explorer", "no answer within 30 s")),
            scaling=Part(failure=Failed("PostgreSQL (bot)", "cannot connect")),
            assume_role=Part(failure=Failed("CloudTrail", "unexpected error (see the bot's log)")),
            ttl=Part(failure=down),
        )
    )
    assert_golden("weekly_digest_unread", rendered.main)
    assert [t.split("\n")[1] for t in texts(rendered.main)] == [
        "Could not be read: Cost Explorer: no answer within 30 s",
        "Could not be read: PostgreSQL (bot): cannot connect",
        "Could not be read: CloudTrail: unexpected error (see the bot's log)",
        "Could not be read: AWS int logs: no answer within 30 s",
    ]
    assert all(t.startswith(UNREAD) for t in texts(rendered.main))
    assert rendered.thread == ()


def test_a_partly_read_item_says_what_it_did_not_read():
    failed = Failed("AWS prd Cost Explorer", "AccessDeniedException (HTTP 400)")
    rendered = render_weekly(digest(fargate=Part(value=fargate_week([failed]))))
    fargate = texts(rendered.main)[0]
    assert fargate.startswith(LOOK)
    assert "• Not read: AWS prd Cost Explorer: AccessDeniedException (HTTP 400)" in fargate


def test_no_samples_is_unknown_not_zero():
    empty = summarize([], WEEK, "workflow-engine", 0.05)
    scaling = texts(render_weekly(digest(scaling=Part(value=empty))).main)[1]
    assert scaling.startswith(UNREAD) and "the numbers are unknown, not zero" in scaling


def test_the_largest_realistic_week_stays_within_slack_limits():
    """KEDA changing every few minutes, 300 callers, 400 previews failing cleanup with long
    errors, and hostile text from the hub's logs."""
    busy = [
        EngineSample(WEEK.start + timedelta(minutes=m), m % 7, m % 7, False, m % 2, 0)
        for m in range(7 * 24 * 60)
    ]
    callers = [
        caller(f"{INT}:AROA{n:012d}" + "X" * 40, f"U{n:08d}", calls=n, new=n % 3 == 0)
        for n in range(300)
    ]
    errors = [
        CleanupError("prd", f"PROJ-{n}", "<!channel> `boom` " + "e" * 400, n, NOW, NOW)
        for n in range(400)
    ]
    rendered = render_weekly(
        digest(
            scaling=Part(value=summarize(busy, WEEK, "workflow-engine", 0.05)),
            assume_role=Part(value=audit(callers)),
            ttl=Part(value=ttl(errors, [preview(f"P-{n}", n) for n in range(1, 200)])),
        )
    )
    within_limits(rendered.main)
    assert rendered.thread
    for message in rendered.thread:
        within_limits(message)
    everything = json.dumps([m.to_json() for m in (rendered.main, *rendered.thread)])
    assert "<!channel>" not in everything and "&lt;!channel&gt;" in everything
    scaling_thread = [m for m in rendered.thread if m.text.startswith("2.")]
    shown = sum(len(t.splitlines()) for m in scaling_thread for t in texts(m))
    assert shown == 600 + 1  # THREAD_LINES, then how many more were not listed
    assert "more not listed" in texts(scaling_thread[-1])[-1]


# -- in Korean: the runbook's §6.2 wording, the same numbers ------------------------------------


def test_a_week_in_korean_golden_and_its_facts():
    with use_locale("ko"):
        rendered = render_weekly(digest())
        assert_golden("weekly_digest", rendered.main)
        (thread,) = rendered.thread
        assert_golden("weekly_digest_thread", thread)
    fargate, scaling, trail, previews = texts(rendered.main)
    assert fargate.startswith(f"{LOOK} *1. 환경별 Fargate pod 실행 비용*")
    assert "*US$25.20* (02-23~03-01, UTC 기준, `env: preview`), US$21.00 대비 +20%" in fargate
    assert "`stg` (222222222222): US$10.50, US$7.00 대비 +50% :warning:" in fargate
    assert "전주 대비 20% 이상 증가: stg" in fargate
    assert scaling.startswith(f"{OK} *2. KEDA 스케일링 이력 · workflow-engine 유휴 시간*")
    assert "replica-hour *231.0*, 그중 유휴 *21.0* (9%" in scaling
    assert "replica-hour당 US$0.05로 *US$1.05*" in scaling
    assert "스케일링 변경 27회, 최대 replica 3개, KEDA 일시정지 420분" in scaling
    assert f"_… 나머지 {27 - INLINE_LINES}줄은 스레드에_" in scaling
    assert trail.startswith(f"{LOOK} *3. 크로스 계정 AssumeRole 이력 감사*")
    assert "AssumeRole *47건* (대상: `stg` rtb-hub-deployer, `prd` rtb-hub-deployer)" in trail
    assert "실패 *3건* (AccessDenied 2) · 호출자 3, 전주 대비 *신규 1*" in trail
    assert ":warning: *신규 호출자* `111111111111:AROA111111CIRUNNER` → prd: 1회, 실패 1회" in trail
    assert previews.startswith(f"{LOOK} *4. Preview TTL 만료 실패 건*")
    assert "`cleanupExpired()` 오류 로그 *3줄* (`/rtb-ai-hub/workflow-engine`)" in previews
    assert "TTL이 지났는데 남아 있는 Preview *1개*" in previews
    assert "`int` PROJ-130: 02-28 07:00 만료, 아직 남아 있음" in previews
    assert "`int` PROJ-130: 3× namespace has finalizers (마지막 03-02 09:00)" in previews
    assert rendered.main.text == (
        "주간 체크리스트 2026-02-23 – 2026-03-01: 확인 필요 — 환경별 Fargate pod 실행 비용, "
        "크로스 계정 AssumeRole 이력 감사, Preview TTL 만료 실패 건"
    )
    assert "런북 §6.2 · 2026-03-02 09:00 KST 작성" in shown(rendered.main)
    assert thread.text == "2. KEDA 스케일링 이력 · workflow-engine 유휴 시간: 나머지"
    assert len("\n".join(texts(thread)).splitlines()) == 27 - INLINE_LINES


def test_unread_items_and_a_private_digest_in_korean():
    down = Failed("AWS int logs", "no answer within 30 s")
    with use_locale("ko"):
        rendered = render_weekly(
            digest(
                fargate=Part(failure=Failed("Cost Explorer", "no answer within 30 s")),
                scaling=Part(value=summarize([], WEEK, "workflow-engine", 0.05)),
                assume_role=Part(failure=None),
                ttl=Part(failure=down),
            )
        )
        assert_golden("weekly_digest_unread", rendered.main)
        private = render_weekly(digest(), posted=False)
    lines = [t.split("\n")[1] for t in texts(rendered.main)]
    assert lines[0] == "읽지 못했습니다: Cost Explorer: no answer within 30 s"
    assert lines[1].startswith("이번 주 `workflow-engine` 샘플이 없습니다")
    assert lines[1].endswith("수치는 0이 아니라 알 수 없음입니다.")
    assert lines[2:] == [
        "읽지 못했습니다: 응답 없음",
        "읽지 못했습니다: AWS int logs: no answer within 30 s",
    ]
    assert all(t.startswith(UNREAD) for t in texts(rendered.main))
    assert "나머지 21줄은 채널에 올린 다이제스트의 스레드에 (`--post`)" in texts(private.main)[1]


def test_the_largest_realistic_week_in_korean_stays_within_slack_limits():
    callers = [
        caller(f"{INT}:AROA{n:012d}" + "X" * 40, f"U{n:08d}", calls=n, new=n % 3 == 0)
        for n in range(300)
    ]
    errors = [
        CleanupError("prd", f"PROJ-{n}", "<!channel> `boom` " + "e" * 400, n, NOW, NOW)
        for n in range(400)
    ]
    with use_locale("ko"):
        rendered = render_weekly(
            digest(
                assume_role=Part(value=audit(callers)),
                ttl=Part(value=ttl(errors, [preview(f"P-{n}", n) for n in range(1, 200)])),
            )
        )
    assert len(rendered.main.blocks) == 2 + 2 * 4
    within_limits(rendered.main)
    assert [m.text for m in rendered.thread] == [
        "2. KEDA 스케일링 이력 · workflow-engine 유휴 시간: 나머지",
        "3. 크로스 계정 AssumeRole 이력 감사: 나머지",
        "4. Preview TTL 만료 실패 건: 나머지",
    ]
    for message in rendered.thread:
        within_limits(message)
    assert "TTL이 지났는데 남아 있는 Preview *199개*" in texts(rendered.main)[3]


def test_reads_the_cap_cut_short_are_named_by_env_and_week_in_each_language():
    """The audit holds (env, which week) as data; the words are the reader's."""
    capped = audit([], capped=(("prd", "current"), ("stg", "previous")))
    english = texts(render_weekly(digest(assume_role=Part(value=capped))).main)[2]
    assert "Cut at the newest records in: prd this week, stg week before" in english
    with use_locale("ko"):
        korean = texts(render_weekly(digest(assume_role=Part(value=capped))).main)[2]
    assert "최신 기록까지만 읽음: prd 이번 주, stg 전주" in korean
    assert "this week" not in korean and "week before" not in korean
