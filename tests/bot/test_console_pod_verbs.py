"""The console's /sandbox oom and slow-start against the seeded sandbox: the fake cluster
misbehaves, the pod watcher sees it over the watch API, the alert is in the transcript and its
buttons read the killed run's logs and the pod's events."""

import subprocess
import sys

DRILL = """\
/sandbox oom stg preview-proj-118
/click 1
/click 2
/sandbox slow-start int preview-proj-141 95
/sandbox oom qa preview-proj-118
/sandbox oom stg no-such-namespace
/sandbox slow-start int preview-proj-141 soon
"""


def test_oom_and_slow_start_alerts_show_in_the_transcript_and_their_buttons_work():
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "shell", "--sandbox", "--lang", "en"],
        input=DRILL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:] + out[-2000:]
    # the seeded PROJ-118 worker (killed 3 times) and this kill: one alert, counted
    assert "was OOMKilled and restarted; the pod watcher handled it" in out
    oom = out.split("/sandbox oom stg preview-proj-118", 1)[1].split("/click 1", 1)[0]
    assert oom.count("[posted to #rtb-alerts]") == 1
    assert "OOMKilled ×2 in stg: preview PROJ-118" in oom  # edited in: one message
    assert "`worker`" in oom and "`256Mi`" in oom and "Restarts\n4" in oom
    assert "[1] Logs (--previous)  [2] Events" in oom
    logs = out.split("/click 1", 1)[1].split("/click 2", 1)[0]
    assert "previous run" in logs and "JavaScript heap out of memory" in logs
    events = out.split("/click 2", 1)[1].split("/sandbox slow-start", 1)[0]
    assert "BackOff" in events and "Back-off restarting failed container worker" in events
    slow = out.split("/sandbox slow-start int preview-proj-141 95", 1)[1]
    assert "Slow start in int: preview PROJ-141" in slow and "Ready *1m35s*" not in slow
    assert "was Ready 1m35s after creation" in slow and "Most of it: node" in slow
    assert "`qa` is not an env of this sandbox" in out
    assert "no pod in namespace `no-such-namespace`" in out
    assert "<seconds> must be a whole number from 1 to 3600, not `soon`" in out
    assert "Traceback" not in out + done.stderr
