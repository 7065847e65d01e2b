# syntax=docker/dockerfile:1
# Build: docker build -t dmi-api .
# Run:   docker run -e DMI_ENV=production -e DMI_DATABASE_URL=postgresql+asyncpg://... \
#               -e DMI_SECRET_KEY=... -e DMI_MIGRATE_ON_START=1 -p 8000:8000 dmi-api

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/venv/bin/pip install /wheels/*.whl

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DMI_HOST=0.0.0.0 \
    DMI_PORT=8000 \
    DMI_WORKERS=2 \
    DMI_DATABASE_URL=sqlite+aiosqlite:////var/lib/dmi/dmi.db \
    DMI_EXPORT_DIR=/var/lib/dmi/exports
# /var/lib/dmi: the embedded SQLite file (the default when DMI_DATABASE_URL is not given; mount a
# volume there to keep it) and the export files, both written by the image's user.
RUN groupadd --system --gid 10001 dmi \
 && useradd --system --uid 10001 --gid dmi --home-dir /app --shell /usr/sbin/nologin dmi \
 && install -d -o dmi -g dmi /var/lib/dmi /var/lib/dmi/exports
COPY --from=build /opt/venv /opt/venv
COPY --chmod=0755 docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY --chmod=0755 docker-healthcheck.py /usr/local/bin/docker-healthcheck
WORKDIR /app
USER dmi:dmi
EXPOSE 8000
# `serve`: GET /healthz on its port; `worker` (no HTTP): healthy while it runs.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["docker-healthcheck"]
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["serve"]
