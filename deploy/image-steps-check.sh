#!/bin/sh
# What CI runs instead of building the image (this machine has no container engine): the
# Dockerfile's own steps (deploy/build.sh) in a clean venv, then the image's entrypoint run
# from it as the container would (web, migrate; worker when REDIS_URL is set), checking
# health, metrics and static files, and that nothing was written outside the scratch dir.
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=
trap 'kill $pids 2>/dev/null || true; rm -rf "$work"' EXIT

deploy/build.sh install "$work/venv"
deploy/build.sh static "$work/venv" "$work/staticfiles"

git status --porcelain --untracked-files=all >"$work/tree-before"
export PATH="$work/venv/bin:$PATH" DEBUG=0 SECRET_KEY=image-steps-check-secret-key-0123456789 \
    TENANTRY_VAR_DIR="$work/var" STATIC_ROOT="$work/staticfiles" DATABASE_URL="sqlite:///$work/db.sqlite3" \
    PROMETHEUS_MULTIPROC_DIR="$work/prometheus" METRICS_TOKEN=image-steps-check-token \
    ALLOWED_HOSTS=127.0.0.1 LOG_FORMAT=json GUNICORN_BIND=127.0.0.1:18731 HOME="$work" \
    DJANGO_SETTINGS_MODULE=console.settings
unset KUBECONFIG 2>/dev/null || true
deploy/entrypoint.sh migrate >"$work/migrate.log"
deploy/entrypoint.sh web >"$work/web.log" 2>&1 &
pids="$pids $!"
url=http://127.0.0.1:18731
for _ in $(seq 100); do curl -fsS "$url/healthz" >/dev/null 2>&1 && break; sleep 0.3; done
curl -fsS "$url/healthz"
echo
css=$(cd "$work/staticfiles" && find css -name '*.css' | head -1)
curl -fsS -o /dev/null "$url/static/$css"
echo "static file /static/$css served"
status=$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")
[ "$status" = 404 ] || { echo "/metrics without the token answered $status" >&2; exit 1; }
curl -fsS -H "Authorization: Bearer image-steps-check-token" "$url/metrics" | grep -q '^tenantry_http_requests_total{'
echo "/metrics: 404 without the token, request counters with it"

# Worker and beat serve their metrics on their own port: the worker counts a task sent to it,
# beat reports holding the leader lock.
metrics_of() {
    for _ in $(seq 100); do
        curl -fsS -H "Authorization: Bearer image-steps-check-token" "http://127.0.0.1:$1/metrics" \
            2>/dev/null | grep "$2" && return 0
        sleep 0.3
    done
    echo "no '$2' on port $1" >&2
    return 1
}
if [ -n "${REDIS_URL:-}" ]; then
    METRICS_PORT=18732 deploy/entrypoint.sh worker --concurrency 1 >"$work/worker.log" 2>&1 &
    pids="$pids $!"
    env -u PROMETHEUS_MULTIPROC_DIR python -c 'import django; django.setup(); from console.celery import ping; ping.delay()'
    metrics_of 18732 '^tenantry_tasks_total{outcome="success",task="console.ping"} 1.0'
    METRICS_PORT=18733 PROMETHEUS_MULTIPROC_DIR="$work/prometheus-beat" deploy/entrypoint.sh beat \
        >"$work/beat.log" 2>&1 &
    pids="$pids $!"
    metrics_of 18733 '^tenantry_beat_leader 1.0'
else
    echo "REDIS_URL not set: worker and beat not started"
fi
kill $pids
wait || true
git status --porcelain --untracked-files=all >"$work/tree-after"
diff "$work/tree-before" "$work/tree-after" >&2 || { echo "the app wrote into the source tree (above)" >&2; exit 1; }
echo "image steps: OK"
