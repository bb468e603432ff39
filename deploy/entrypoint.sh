#!/bin/sh
# One image, one process kind per container, chosen by the first argument:
#   web       gunicorn with deploy/gunicorn.conf.py (the default)
#   worker    a Celery worker (extra arguments go to `celery worker`)
#   beat      Celery beat; sends only while it holds the leader lock (console/beat.py)
#   migrate   migrations under a database lock (the Helm hook Job; never at container start)
#   manage    any other management command, e.g. `manage bill --date 2026-01-31`
set -eu
cd "$(dirname "$0")/.."

# Workers and beat keep Prometheus samples per process in this directory (web: gunicorn's
# config clears it). Old samples from a previous run in the same pod would be added to ours.
fresh_metrics_dir() {
    if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
        rm -rf "$PROMETHEUS_MULTIPROC_DIR"
        mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    fi
}

kind=${1:-web}
[ $# -gt 0 ] && shift
case "$kind" in
web)
    exec gunicorn -c deploy/gunicorn.conf.py console.wsgi "$@"
    ;;
worker)
    fresh_metrics_dir
    exec celery -A console worker --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
beat)
    fresh_metrics_dir
    exec celery -A console beat --loglevel "${LOG_LEVEL:-INFO}" "$@"
    ;;
migrate)
    unset PROMETHEUS_MULTIPROC_DIR
    exec python manage.py migrate_locked "$@"
    ;;
manage)
    unset PROMETHEUS_MULTIPROC_DIR
    exec python manage.py "$@"
    ;;
*)
    echo "unknown process kind '$kind': web, worker, beat, migrate or manage" >&2
    exit 2
    ;;
esac
