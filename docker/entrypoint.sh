#!/bin/sh
# ArkID container entry point: one image, one role per container.
#
#   web      gunicorn (arkid/gunicorn_conf.py) on ARKID_PORT (8000)
#   worker   Celery worker (no beat: scale it freely)
#   beat     Celery beat, the periodic-task scheduler: run EXACTLY ONE
#   ldap     the LDAP server (ARKID_LDAP_PORT 10389, ARKID_LDAPS_PORT 10636 when a cert is set)
#   migrate  database migrations + the first administrator; run once per release, before web
#   manage   any manage.py command: `manage arkid_export -o /var/lib/arkid/backup.json`
#   probe    health check of a role: `probe web|worker|beat|ldap` (exit 0 = healthy)
#
# Outside a container it runs from the checkout it lives in (ARKID_PYTHON picks the
# interpreter); ARKID_ENTRYPOINT_DRY_RUN=1 prints the command instead of running it.
set -eu

cd "$(dirname "$0")/.."
PYTHON="${ARKID_PYTHON:-python}"
BIN="$(dirname "$(command -v "$PYTHON")")"
VAR_DIR="${ARKID_VAR_DIR:-$(pwd)/var}"

run() {
    if [ "${ARKID_ENTRYPOINT_DRY_RUN:-}" = "1" ]; then
        echo "$@"
        return 0
    fi
    exec "$@"
}

probe() {
    case "${1:-}" in
        web)
            "$PYTHON" - "${ARKID_PROBE_URL:-http://127.0.0.1:${ARKID_PORT:-8000}/ready/}" <<'PY'
import os, sys, urllib.request
# Django answers only to ARKID_ALLOWED_HOSTS: ask as the first of them, not as 127.0.0.1.
hosts = [h.strip().lstrip(".") for h in os.environ.get("ARKID_ALLOWED_HOSTS", "").split(",")]
hosts = [h for h in hosts if h and "*" not in h]
request = urllib.request.Request(sys.argv[1], headers={"Host": hosts[0]} if hosts else {})
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:
    print(f"web probe failed: {exc}", file=sys.stderr)
    sys.exit(1)
PY
            ;;
        worker)
            exec "$PYTHON" manage.py worker_heartbeat --max-age "${ARKID_WORKER_MAX_AGE:-60}"
            ;;
        beat)
            # beat saves its schedule file every few minutes while it runs.
            "$PYTHON" - "$VAR_DIR/celerybeat-schedule" "${ARKID_BEAT_MAX_AGE:-900}" <<'PY'
import glob, os, sys, time
files = glob.glob(sys.argv[1] + "*")
age = time.time() - max((os.path.getmtime(f) for f in files), default=0)
print(f"beat schedule {age:.0f}s old", file=sys.stderr)
sys.exit(0 if age <= float(sys.argv[2]) else 1)
PY
            ;;
        ldap)
            "$PYTHON" - "${ARKID_LDAP_PORT:-10389}" <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3).close()
except OSError as exc:
    print(f"ldap probe failed: {exc}", file=sys.stderr)
    sys.exit(1)
PY
            ;;
        *)
            echo "usage: probe web|worker|beat|ldap" >&2
            exit 2
            ;;
    esac
}

role="${1:-web}"
[ $# -gt 0 ] && shift

# Prometheus multiprocess files are for gunicorn's workers, summed by /metrics. The directory
# may be a fresh emptyDir (Kubernetes mounts /tmp over the image's): create it. Other roles
# are not scraped; without the variable their metrics stay in memory, and no file is
# written to a directory that may not exist (which would fail every audited write).
if [ "$role" = "web" ] && [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
elif [ "$role" != "web" ]; then
    unset PROMETHEUS_MULTIPROC_DIR
fi

case "$role" in
    web)
        run "$BIN/gunicorn" -c arkid/gunicorn_conf.py arkid.wsgi:application "$@"
        ;;
    worker)
        run "$BIN/celery" -A arkid worker --loglevel "${ARKID_LOG_LEVEL:-INFO}" \
            --concurrency "${ARKID_WORKER_CONCURRENCY:-2}" "$@"
        ;;
    beat)
        run "$BIN/celery" -A arkid beat --loglevel "${ARKID_LOG_LEVEL:-INFO}" \
            --schedule "$VAR_DIR/celerybeat-schedule" "$@"
        ;;
    ldap)
        # LDAPS only with a port set (the certificate variables are in docs/ldap.md).
        if [ -n "${ARKID_LDAPS_PORT:-}" ]; then
            set -- --ldaps-port "$ARKID_LDAPS_PORT" "$@"
        fi
        run "$PYTHON" manage.py ldap_server --host 0.0.0.0 --port "${ARKID_LDAP_PORT:-10389}" "$@"
        ;;
    migrate)
        if [ "${ARKID_ENTRYPOINT_DRY_RUN:-}" = "1" ]; then
            echo "$PYTHON manage.py migrate --noinput && $PYTHON manage.py ensure_admin"
            exit 0
        fi
        "$PYTHON" manage.py migrate --noinput
        "$PYTHON" manage.py ensure_admin
        ;;
    manage)
        run "$PYTHON" manage.py "$@"
        ;;
    probe)
        probe "$@"
        ;;
    *)
        echo "unknown role '$role': use web|worker|beat|ldap|migrate|manage|probe" >&2
        exit 2
        ;;
esac
