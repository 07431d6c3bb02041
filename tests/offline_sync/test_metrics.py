"""GET /metrics exports luckygas_driver_sync_lag_seconds, the histogram the sync lag alert reads."""

import datetime

from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families


def _lag_samples(client) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    families = {family.name: family for family in text_string_to_metric_families(response.content.decode())}
    histogram = families["luckygas_driver_sync_lag_seconds"]
    assert histogram.type == "histogram"
    return {
        sample.labels.get("le", sample.name): sample.value
        for sample in histogram.samples
        if sample.name.endswith(("_bucket", "_count"))
    }


def test_sync_lag_of_each_new_action_is_on_metrics(client, route_a, phone_a, django_capture_on_commit_callbacks):
    # given the metric is exported before any push
    before = _lag_samples(client)
    first, second = route_a.stops.order_by("sequence")[:2]
    late = phone_a.action("complete", first)
    late["occurred_at"] = (timezone.now() - datetime.timedelta(minutes=20)).isoformat()
    fresh = phone_a.action("collect_empties", second, count=1)
    # when a phone pushes an action done 20 minutes ago and one done just now, then resends them
    with django_capture_on_commit_callbacks(execute=True):
        assert phone_a.push(late, fresh).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert phone_a.push(late, fresh).status_code == 200
    # then two lags were observed (not four): one within 15 s, one between 15 and 30 minutes
    after = _lag_samples(client)
    grown = {bucket: after[bucket] - before.get(bucket, 0) for bucket in after}
    assert grown["luckygas_driver_sync_lag_seconds_count"] == 2
    assert grown["15.0"] == 1
    assert grown["900.0"] == 1
    assert grown["1800.0"] == 2
