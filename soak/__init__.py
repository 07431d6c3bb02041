"""A compressed business day under load and faults (issue #18): `make soak`, `python -m soak`.

processes: the production shape on loopback (private PostgreSQL and Redis, web, Celery workers, beat);
faults: a jittered schedule of kill -9s and restarts; drivers: Locust users (phones with their own
action logs); sms: fake Mitake and Every8d with their own delivery logs (slow, 429s, down, cut off) and the
day's extra notices; report: invariants from the database, the phones' and the providers' logs, availability,
latency, chart. office: clerks on the admin's forms; exports: managers' Excel and PDF downloads.
"""
