#!/bin/sh
# One image, several commands: `luckygas <command> [arguments]` (the image's ENTRYPOINT).
#   web                  gunicorn with threaded WSGI workers: every HTTP path except /ws/ on :8000
#   websocket            gunicorn with uvicorn workers: the ASGI application, for /ws/ only, on :8000
#   worker               a Celery worker for the queues in CELERY_QUEUES (default: default)
#   beat                 Celery beat with the database schedule (exactly one per cluster)
#   migrate              apply the database migrations (the release's migration Job)
#   wait-for-migrations  wait until no migration is pending (web's init container)
#   manage …             any manage.py command, e.g. `luckygas manage createsuperuser`
# Anything else is executed as given. Celery runs --quiet: no banner, only JSON log lines.
set -eu

command="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$command" in
  web)
    exec gunicorn --config python:luckygas.gunicorn_conf luckygas.wsgi:application "$@"
    ;;
  websocket)
    exec gunicorn --config python:luckygas.gunicorn_conf --worker-class uvicorn_worker.UvicornWorker \
      luckygas.asgi:application "$@"
    ;;
  worker)
    exec celery --quiet --app luckygas worker \
      --queues "${CELERY_QUEUES:-default}" \
      --concurrency "${CELERY_CONCURRENCY:-2}" \
      --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
      --without-gossip --without-mingle "$@"
    ;;
  beat)
    exec celery --quiet --app luckygas beat \
      --scheduler luckygas.celery_probes:HeartbeatDatabaseScheduler \
      --loglevel "${CELERY_LOG_LEVEL:-INFO}" "$@"
    ;;
  migrate)
    exec python manage.py migrate --no-input "$@"
    ;;
  wait-for-migrations)
    timeout="${WAIT_FOR_MIGRATIONS_TIMEOUT:-1800}"
    interval="${WAIT_FOR_MIGRATIONS_INTERVAL:-5}"
    waited=0
    until python manage.py migrate --check --no-input >/dev/null 2>&1; do
      if [ "$waited" -ge "$timeout" ]; then
        echo "{\"level\": \"ERROR\", \"logger\": \"luckygas.entrypoint\", \"message\": \"migrations still pending after ${timeout} s: has the migration Job of this release run?\"}"
        exit 1
      fi
      echo "{\"level\": \"INFO\", \"logger\": \"luckygas.entrypoint\", \"message\": \"waiting for the migration Job (${waited} s)\"}"
      sleep "$interval"
      waited=$((waited + interval))
    done
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$command" "$@"
    ;;
esac
