"""A page whose database connection ends mid-request answers 503 with Retry-After, not 500 (found by the soak: an
office clerk's cancel answered 500 while PostgreSQL restarted, which ends every open connection)."""

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from luckygas.delivery.models import Order, OrderStatus
from tests.delivery.factories import OrderFactory


def terminate_this_connection() -> None:
    """What PostgreSQL's shutdown does to every open connection, here to the test's (which the request uses)."""
    pid = connection.cursor().connection.info.backend_pid
    database = settings.DATABASES["default"]
    with psycopg.connect(
        host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=database["NAME"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_an_admin_form_whose_database_connection_ended_answers_503_and_saves_nothing(client, office_clerk):
    # given
    order = OrderFactory()
    client.force_login(office_clerk)
    terminate_this_connection()
    # when the clerk cancels the order
    response = client.post(
        "/admin/delivery/order/", {"action": "cancel_orders", "_selected_action": [order.pk], "index": "0"}
    )
    connection.close_if_unusable_or_obsolete()  # what the server does as the request ends (the test client does not)
    # then
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "請稍後再試" in response.content.decode()
    assert Order.objects.get(pk=order.pk).status != OrderStatus.CANCELLED
