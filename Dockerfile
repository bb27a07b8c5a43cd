# syntax=docker/dockerfile:1
#
# The policy-api image: a read-only open-data API with its dataset built in.
#
#   docker build -t policy-api .
#   docker run --rm --read-only -p 8000:8000 -e WORKERS=2 policy-api
#
# Two stages on the same official slim Python image (astral-sh/uv-docker-example's multistage file
# is the model). The builder installs the locked dependencies and the project into a virtual
# environment and builds the SQLite database from seed/; the runtime stage copies only that
# environment and that database, and runs as an unprivileged user that owns neither. Both stages
# must use the same base image: the venv's interpreter link and script shebangs are absolute paths.
#
# Nothing is written at run time, so the container runs with a read-only root filesystem and no
# tmpfs: no bytecode is written (PYTHONDONTWRITEBYTECODE; pip compiled it at build time), the app
# opens the database read-only, and uvicorn needs no temporary files.
#
# Run-time settings (environment): HOST, PORT, WORKERS, LOG_LEVEL, DATABASE_URL, PUBLIC_BASE_URL,
# CORS_ORIGINS, and the limits on requests (MAX_HEADER_BYTES, REQUEST_TIMEOUT, ...), which hold
# because CMD is `policy-api serve`; see README.md. tests/deploy replays this file's steps, since no Docker engine runs
# in CI, and lints it with hadolint.

FROM python:3.11-slim AS builder

# PIP_NO_CACHE_DIR: no pip cache in the layers (tests/deploy's replay lifts it to reuse the
# machine's cache).
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH="/app/.venv/bin:$PATH"

WORKDIR /app

# Dependencies first, from the lock alone (pinned and hashed: see the command at its top), so this
# layer is reused until requirements.lock changes.
COPY requirements.lock ./
RUN python -m venv /app/.venv \
    && pip install --require-hashes --requirement requirements.lock

# Then the project itself (not editable: the code lands in the venv's site-packages, seed data
# included) and the database, built from seed/ where the runtime stage expects it, with its
# downloads: one release, in /app/var/exports/releases/<id>/. The image holds that release only;
# to serve earlier ones too, mount a persistent EXPORTS_DIR (see the README's Releases section).
COPY pyproject.toml README.md ./
COPY api/ ./api/
COPY models/ ./models/
COPY seed/ ./seed/
ENV DATABASE_URL=sqlite:////app/var/policy.sqlite3
RUN pip install --no-deps . \
    && policy-api build


FROM python:3.11-slim AS runtime

LABEL org.opencontainers.image.title="policy-api" \
      org.opencontainers.image.description="A versioned, read-only open-data API for government policy documents" \
      org.opencontainers.image.licenses="MIT AND CC0-1.0"

# A fixed numeric uid/gid, so that Kubernetes' runAsNonRoot can check it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app

# Owned by root and only readable by the app user: the API cannot change its own code or data.
COPY --from=builder /app/.venv /app/.venv
COPY --from=builder /app/var /app/var

ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////app/var/policy.sqlite3 \
    HOST=0.0.0.0 \
    PORT=8000 \
    WORKERS=1

WORKDIR /app
USER 10001:10001
EXPOSE 8000

# No curl in slim images: the standard library asks. urlopen raises on a refused connection, a
# time-out and any status >= 400, which makes the check exit 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz\", timeout=4)"]

# Exec form (hadolint DL3025): policy-api is PID 1 and gets SIGTERM itself, for uvicorn's graceful
# shutdown. `policy-api serve` reads HOST, PORT, WORKERS and LOG_LEVEL from the environment, so no
# shell is needed to expand ${WORKERS}. The database exists, so serve never tries to build it.
CMD ["policy-api", "serve"]
