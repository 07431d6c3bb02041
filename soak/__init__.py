"""A compressed business day under load and faults (issue #18): `make soak`, `python -m soak`.

processes: the production shape on loopback (private PostgreSQL and Redis, web, Celery workers, beat);
faults: a jittered schedule of kill -9s and restarts; drivers: Locust users (phones with their own
action logs); report: invariants from the database and the phones' logs, availability, latency, chart.
"""
