# syntax=docker/dockerfile:1
# One image for the web server, the Celery workers and beat; the process kind is the command:
#   docker run IMAGE web | worker | beat | migrate | manage <command>
# Runs as a non-root user with a read-only root filesystem; /tmp is the only writable path.
# The build steps are deploy/build.sh, which CI also runs (this machine has no engine).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /app
# Dependencies first, so code changes reuse this layer.
COPY requirements-runtime.txt ./
COPY deploy/build.sh deploy/
RUN deploy/build.sh install /opt/venv
COPY . .
RUN deploy/build.sh static /opt/venv /app/staticfiles

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="Tenantry" \
      org.opencontainers.image.description="Self-service multi-tenant Kubernetes console"
RUN groupadd --system --gid 10001 tenantry \
    && useradd --system --uid 10001 --gid tenantry --no-create-home --home-dir /tmp \
       --shell /usr/sbin/nologin tenantry
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    DJANGO_SETTINGS_MODULE=console.settings \
    TENANTRY_VAR_DIR=/tmp/tenantry \
    STATIC_ROOT=/app/staticfiles \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    DEBUG=0
USER 10001:10001
EXPOSE 8000 9100
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["web"]
