# syntax=docker/dockerfile:1
#
# rtb-ops-bot image: the project built as a wheel, installed into a venv on python:3.11-slim,
# run as a non-root user.
#
#   docker build -t rtb-ops-bot .
#   docker run --env-file bot.env -v "$PWD/config.yml:/etc/rtb-bot/config.yml:ro" rtb-ops-bot
#       → Socket Mode (the default: no ingress needed); /healthz and /readyz on :8080
#   docker run --env-file bot.env -v "$PWD/config.yml:/etc/rtb-bot/config.yml:ro" \
#       -p 8080:8080 rtb-ops-bot serve --http
#       → HTTP mode: POST /slack/events on :8080, behind a load balancer
#   docker run -v "$PWD/config.yml:/etc/rtb-bot/config.yml:ro" rtb-ops-bot check-config
#
# Secrets come from the environment (SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET,
# DATABASE_URL, HUB_DATABASE_URL, REDIS_URL), never from the image or the config file.
# On shutdown the bot waits up to 10 s for running commands: give it a longer grace period
# (`docker run --stop-timeout 20`, Kubernetes terminationGracePeriodSeconds: 20).
# With a read-only root filesystem, mount a writable /tmp (EKS CA bundles and matplotlib's font
# cache, MPLCONFIGDIR, are written there). deploy/ runs it so on EKS (README: Deploy to EKS).
# /var/lib/rtb-bot holds results of changes that ran while PostgreSQL was down, until they are
# recorded (approvals.spool_file): mount a volume there that outlives the container.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: the project as one wheel --------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY handlers/ handlers/
COPY approvals/ approvals/
COPY ops/ ops/
COPY sandbox/ sandbox/
# the message catalogs compiled (.po → .mo) into the wheel: no compiling at the bot's start
RUN pip install "babel>=2.14,<3" && pybabel compile -d handlers/render/locale -D rtb \
    && pip wheel --no-deps --wheel-dir /wheels .

# ---- runtime: a venv holding the wheel and its dependencies, nothing else --------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="rtb-ops-bot" \
      org.opencontainers.image.description="Slack ChatOps bot: the rtb-ai-hub operations runbook"
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/rtb-bot/bin:$PATH \
    RTB_CONFIG=/etc/rtb-bot/config.yml \
    PORT=8080 \
    MPLCONFIGDIR=/tmp/matplotlib

# Hangul for the weekly chart's Korean words (handlers/render/chart_png.py looks for this file):
# fonts-nanum, of which only NanumGothic is kept (4.7 MB of its 33 MB; fonts-noto-cjk is 91 MB).
# Unpinned: a font, in whatever version the base image's Debian release has.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-nanum \
    && find /usr/share/fonts/truetype/nanum -type f ! -name NanumGothic.ttf -delete \
    && rm -rf /var/lib/apt/lists/*

# The wheel is bind-mounted from the build stage, so it never becomes a layer. pip compiles the
# bytecode at install time (a faster cold start); the venv stays root-owned and read-only to
# the bot. The venv has no pip of its own: the base image's pip installs into it.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv --without-pip /opt/rtb-bot \
    && pip --python /opt/rtb-bot/bin/python install --no-cache-dir /wheels/*.whl \
    && groupadd --system --gid 10001 rtb \
    && useradd --system --uid 10001 --gid rtb --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin rtb \
    && mkdir -p /etc/rtb-bot /var/lib/rtb-bot && chown 10001:10001 /var/lib/rtb-bot

# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /tmp

# /healthz and /readyz in both modes; /slack/events too with `serve --http`. The port is $PORT.
EXPOSE 8080

# `rtb-bot serve` is two processes: the worker (PID 1 here: it gets SIGTERM and stops the front
# first) and the ack front it forks. /healthz is the front's answer (503 once the worker behind
# it is gone; either process dying stops the other); /readyz asks the worker, which checks
# PostgreSQL and Redis, and in Socket Mode whether Slack's websocket is connected: for a load
# balancer or a Kubernetes readinessProbe (and alerting), not for restarting.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]

ENTRYPOINT ["rtb-bot"]
CMD ["serve"]
