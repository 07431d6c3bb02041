"""The dispatcher's admin screens: device health, the conflict queue, cash, pending proof."""

import hashlib
import uuid

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from luckygas.delivery import services as delivery_services
from offline_sync.models import CashCollection, CashStatus, ConflictStatus, SyncConflict
from offline_sync.selectors import sync_dashboard_summary
from tests.offline_sync.factories import started_route


def staff_client(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_dispatcher_sees_each_devices_sync_health(client, office_clerk, route_a, phone_a):
    stop = route_a.stops.first()
    delivery_services.order_cancel(order=stop.order, actor=office_clerk)
    phone_a.push(phone_a.action("complete", stop), phone_a.action("collect_cash", stop, amount=-1))
    response = staff_client(client, office_clerk).get(reverse("admin:offline_sync_driverdevice_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "陳建宏" in page
    assert "Pixel 7" in page
    summary = sync_dashboard_summary()
    assert summary["open_conflicts"] == 1
    device = summary["devices"][0]
    assert device["driver"] == "陳建宏"
    assert device["rejected_actions"] == 1
    assert device["open_conflicts"] == 1
    assert device["last_sync_at"] is not None
    assert summary["max_lag_seconds"] == device["queue_lag_seconds"]


def test_conflict_page_shows_both_sides_and_resolves_with_one_click(client, office_clerk, route_a, phone_a):
    stop = route_a.stops.first()
    delivery_services.order_cancel(order=stop.order, actor=office_clerk)
    phone_a.push(phone_a.action("complete", stop, cash_collected=950))
    conflict = SyncConflict.objects.get()
    staff = staff_client(client, office_clerk)
    page = staff.get(reverse("admin:offline_sync_syncconflict_change", args=[conflict.pk])).content.decode()
    assert "Office (server)" in page
    assert "Driver (phone)" in page
    assert "cancelled" in page
    assert "950" in page
    response = staff.post(
        reverse("admin:offline_sync_syncconflict_resolve", args=[conflict.pk]),
        {"resolution": "keep_office", "resolution_note": "客戶已取消"},
    )
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED
    assert conflict.resolved_by == office_clerk
    assert conflict.resolution_note == "客戶已取消"
    assert LogEntry.objects.filter(object_id=str(conflict.pk), user=office_clerk).exists()


def test_manager_cannot_resolve_conflicts(client, manager, office_clerk, route_a, phone_a):
    stop = route_a.stops.first()
    delivery_services.order_cancel(order=stop.order, actor=office_clerk)
    phone_a.push(phone_a.action("complete", stop))
    conflict = SyncConflict.objects.get()
    response = staff_client(client, manager).post(
        reverse("admin:offline_sync_syncconflict_resolve", args=[conflict.pk]), {"resolution": "keep_office"}
    )
    assert response.status_code == 403
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.OPEN


def test_cash_is_reconciled_in_the_office(client, office_clerk, route_a, phone_a):
    phone_a.push(phone_a.action("complete", route_a.stops.first(), cash_collected=950))
    cash = CashCollection.objects.get()
    response = staff_client(client, office_clerk).post(
        reverse("admin:offline_sync_cashcollection_changelist"),
        {"action": "mark_reconciled", "_selected_action": [cash.pk]},
    )
    assert response.status_code == 302
    cash.refresh_from_db()
    assert cash.status == CashStatus.RECONCILED
    assert cash.reconciled_by == office_clerk


def test_cash_stays_with_the_driver_who_collected_it_after_the_stop_moves(
    client, office_clerk, driver_a, driver_b, route_a, phone_a
):
    # given: driver A reports cash on a stop, then the office moves the stop to driver B's route
    stop = route_a.stops.first()
    phone_a.push(phone_a.action("collect_cash", stop, amount=950))
    delivery_services.route_stop_reassign(stop=stop, route=started_route(driver_b, stops=1), actor=office_clerk)

    # when
    url = reverse("admin:offline_sync_cashcollection_changelist")
    listed = staff_client(client, office_clerk).get(url)
    filtered_a = client.get(url, {"action__device__driver__id__exact": driver_a.pk})
    filtered_b = client.get(url, {"action__device__driver__id__exact": driver_b.pk})

    # then: the cash is counted against A, who holds it
    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == list(CashCollection.objects.all())
    assert str(driver_a) in listed.content.decode()
    assert list(filtered_a.context["cl"].result_list) == list(CashCollection.objects.all())
    assert list(filtered_b.context["cl"].result_list) == []


def test_admin_shows_proof_pending_for_a_delivered_stop(client, office_clerk, route_a, phone_a):
    stop = route_a.stops.first()
    phone_a.push(
        phone_a.action("complete", stop),
        phone_a.action(
            "attach_media", stop, media_id=str(uuid.uuid4()), kind="signature", sha256=hashlib.sha256(b"x").hexdigest()
        ),
    )
    response = staff_client(client, office_clerk).get(
        reverse("admin:offline_sync_mediaupload_changelist"), {"proof": "pending"}
    )
    assert response.status_code == 200
    assert "pending upload" in response.content.decode()


def test_every_sync_admin_page_opens(client, admin_user, route_a, phone_a):
    phone_a.push(phone_a.action("note", route_a.stops.first(), text="好"))
    staff = staff_client(client, admin_user)
    for model in (
        "driverdevice",
        "syncaction",
        "syncconflict",
        "cashcollection",
        "mediaupload",
        "stopnote",
        "locationpoint",
        "changelogentry",
    ):
        assert staff.get(reverse(f"admin:offline_sync_{model}_changelist")).status_code == 200, model


def test_conflict_queue_speaks_chinese_open_is_pending_not_unpaid(client, office_clerk, route_a, phone_a):
    # given a driver delivered a stop the office had cancelled
    stop = route_a.stops.first()
    delivery_services.order_cancel(order=stop.order, actor=office_clerk)
    phone_a.push(phone_a.action("complete", stop, cash_collected=950))
    conflict = SyncConflict.objects.get()
    client.force_login(office_clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    # when the office opens the queue and the conflict
    listing = client.get(reverse("admin:offline_sync_syncconflict_changelist")).content.decode()
    detail = client.get(reverse("admin:offline_sync_syncconflict_change", args=[conflict.pk])).content.decode()
    # then the status, the reason and the driver's action are in Chinese (an invoice's 未付款 was shown)
    for page in (listing, detail):
        assert "待處理" in page
        assert "辦公室已取消這一站" in page
        assert "未付款" not in page
        assert ": cancelled" not in page  # the conflict's name says its reason in words too
    # and both sides are read in words: the stop's status, the driver's action, the cash
    assert "<tr><th>狀態</th><td>已取消</td><td>—</td></tr>" in detail
    assert "<tr><th>動作</th><td>—</td><td>已送達</td></tr>" in detail
    assert "<tr><th>在這位司機的路線上</th><td>是</td><td>—</td></tr>" in detail
    assert '<td class="field-action_type">已送達</td>' in listing
    filtered = client.get(reverse("admin:offline_sync_syncconflict_changelist"), {"reason": "cancelled"})
    assert filtered.context["cl"].result_count == 1


def test_a_delivery_photo_opens_from_the_admin_for_staff_and_for_nobody_else(
    client, office_clerk, route_a, phone_a, settings, tmp_path
):
    """The list's "view" link used to point at /media/, which nothing serves: every photo was a 404."""
    from tests.offline_sync.test_media import declare, image_bytes, put

    settings.MEDIA_ROOT = tmp_path
    data = image_bytes()
    media_id = declare(phone_a, route_a.stops.first(), data)
    pending = reverse("admin:offline_sync_mediaupload_proof", args=[media_id])
    staff = staff_client(client, office_clerk)
    assert staff.get(pending).status_code == 404  # declared, bytes not arrived yet
    assert put(phone_a, media_id, data).status_code == 201

    listing = staff.get(reverse("admin:offline_sync_mediaupload_changelist")).content.decode()
    assert f'href="{pending}"' in listing
    response = staff.get(pending)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == hashlib.sha256(data).hexdigest()
    assert staff.post(pending).status_code == 405

    # the phone's own token opens nothing in admin, and a signed-out browser is sent to the login page
    assert phone_a.client.get(pending).status_code == 302
    client.logout()
    assert client.get(pending)["Location"].startswith(reverse("admin:login"))

    # the bytes gone from storage (a volume not mounted) is a clear 404, not a 500
    staff = staff_client(client, office_clerk)
    next(tmp_path.rglob("*.jpg")).unlink()
    missing = staff.get(pending)
    assert missing.status_code == 404
