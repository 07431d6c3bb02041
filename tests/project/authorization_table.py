"""Who may do what: the table `test_authorization_matrix.py` walks (every URL × every role, #13).

A new page, admin or websocket route must be named here; see that test's docstring for what
"allowed" and "refused" mean.
"""

from dataclasses import dataclass, field

from tests.conftest import ROLES

A, D, O, M, S = ROLES  # anonymous, driver, office, manager, admin  # noqa: E741
NOBODY: frozenset[str] = frozenset()
EVERYONE = frozenset(ROLES)
SIGNED_IN = frozenset({D, O, M, S})
STAFF = frozenset({O, M, S})


def roles(text: str) -> frozenset[str]:
    return frozenset(dict(zip("ADOMS", ROLES, strict=True))[letter] for letter in text)


@dataclass(frozen=True)
class Admin:
    """Who may view, add, change, delete through one model's admin, and run each of its actions."""

    view: str
    add: str = ""
    change: str = ""
    delete: str = ""
    actions: dict[str, str] = field(default_factory=dict)


# --- THE TABLE ------------------------------------------------------------------------------------
# Non-admin URLs: name (or pattern when unnamed) -> (roles allowed to GET, roles allowed to POST).
URLS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "healthz": (EVERYONE, EVERYONE),
    "readyz": (EVERYONE, EVERYONE),
    "prometheus-django-metrics": (EVERYONE, EVERYONE),  # scraped inside the network; no personal data
    "set_language": (EVERYONE, EVERYONE),
    # The API's description, for the phones' and integrators' developers: routes and fields, no data.
    "api-schema": (EVERYONE, EVERYONE),
    "api-docs": (EVERYONE, EVERYONE),
    # The driver API: a registered phone's device token, nothing else.
    "driver-device-login": (EVERYONE, EVERYONE),
    "driver-route": (roles("D"), roles("D")),
    "driver-sync": (roles("D"), roles("D")),
    "driver-media": (roles("D"), roles("D")),
    "driver-locations": (roles("D"), roles("D")),
    "driver-changes": (roles("D"), roles("D")),
    "driver-push-subscription": (roles("D"), roles("D")),
    "driver-webpush-key": (EVERYONE, EVERYONE),  # the server's public VAPID key
    # The phone app's shell is public; its data comes through the API.
    "driver-app": (EVERYONE, EVERYONE),
    "driver-manifest": (EVERYONE, EVERYONE),
    "driver-service-worker": (EVERYONE, EVERYONE),
    # Provider receipts: the secret path token (Mitake, Every8d) or the signature (Twilio; unsigned here).
    "mitake-callback": (EVERYONE, EVERYONE),
    "every8d-callback": (EVERYONE, EVERYONE),
    "twilio-callback": (NOBODY, NOBODY),
    # The dashboard is for managers and admins; an export job is its requester's (and admins').
    "page": (roles("MS"), roles("MS")),
    "export": (roles("MS"), roles("MS")),
    "export-job": (roles("MS"), roles("MS")),
    "export-download": (roles("MS"), roles("MS")),
    "api-snapshot": (roles("MS"), roles("MS")),
    "api-metric": (roles("MS"), roles("MS")),
    "api-orders": (roles("MS"), roles("MS")),
    "api-daily-rollups": (roles("MS"), roles("MS")),
    "api-export-job": (roles("MS"), roles("MS")),
    "route-list": (SIGNED_IN, SIGNED_IN),
    # Planning (#14): office staff and admins plan; managers see plans in admin, drivers never.
    "planning-page": (roles("OS"), roles("OS")),
    "planning-api-day": (roles("OS"), roles("OS")),
    "planning-api-plan-create": (roles("OS"), roles("OS")),
    "planning-api-plan": (roles("OS"), roles("OS")),
    "planning-api-stop-move": (roles("OS"), roles("OS")),
    "planning-api-stop-unplan": (roles("OS"), roles("OS")),
    "planning-api-stop-lock": (roles("OS"), roles("OS")),
    "planning-api-reoptimize": (roles("OS"), roles("OS")),
    "planning-api-publish": (roles("OS"), roles("OS")),
    # The admin site itself.
    "index": (STAFF, STAFF),
    "login": (EVERYONE, EVERYONE),
    "logout": (EVERYONE, EVERYONE),
    "password_change": (STAFF, STAFF),
    "password_change_done": (STAFF, STAFF),
    "autocomplete": (NOBODY, NOBODY),  # no admin declares autocomplete_fields: refused for every query
    "jsi18n": (STAFF, STAFF),
    "view_on_site": (STAFF, STAFF),
    "app_list": (STAFF, STAFF),
    "admin/(?P<url>.*)$": (STAFF, STAFF),
}
# Custom admin URLs: name -> (GET roles, POST roles).
ADMIN_URLS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "auth_user_password_change": (NOBODY, NOBODY),
    "delivery_customer_import": (roles("OS"), roles("OS")),
    "delivery_customer_process_import": (roles("OS"), roles("OS")),
    "delivery_customer_export": (roles("OMS"), roles("OMS")),
    "delivery_order_import": (roles("OS"), roles("OS")),
    "delivery_order_process_import": (roles("OS"), roles("OS")),
    "delivery_order_export": (roles("OMS"), roles("OMS")),
    "offline_sync_syncconflict_resolve": (roles("OS"), roles("OS")),
    "offline_sync_mediaupload_proof": (roles("OMS"), roles("OMS")),
    "sms_message_resend": (roles("OS"), roles("OS")),
    "sms_deadletter_resend": (roles("OS"), roles("OS")),
    "banking_collectionbatch_prepare": (roles("OS"), roles("OS")),
    "banking_collectionbatch_import_returns": (roles("OMS"), roles("OMS")),
    "banking_collectionbatch_exports": (roles("OMS"), roles("OMS")),
    "banking_collectionbatch_download": (roles("OMS"), roles("OMS")),
    "banking_collectionbatch_portal": (roles("OMS"), roles("OMS")),
    "banking_collectionbatch_report": (roles("OMS"), roles("OMS")),
    "banking_mandate_import_replies": (roles("OS"), roles("OS")),
    "banking_mandate_change_request": (roles("OS"), roles("OS")),
}
_CELERY_ACTIONS = {"enable_tasks": "", "disable_tasks": "", "toggle_tasks": "", "run_tasks": ""}
_RESEND = {"resend_via_mitake": "OS", "resend_via_every8d": "OS", "resend_via_twilio": "OS"}
# Every registered admin. Vendors' admins (auth, tokens, beat, waffle) are the superuser's alone.
ADMINS: dict[str, Admin] = {
    "auth.group": Admin(""),
    "auth.user": Admin(""),
    "authtoken.tokenproxy": Admin(""),
    "django_celery_beat.periodictask": Admin("", actions=_CELERY_ACTIONS),
    "django_celery_beat.clockedschedule": Admin(""),
    "django_celery_beat.crontabschedule": Admin("S", "S", "S"),  # report subscriptions' schedules
    "django_celery_beat.solarschedule": Admin(""),
    "django_celery_beat.intervalschedule": Admin(""),
    "waffle.flag": Admin("", actions={"enable_for_all": "", "disable_for_all": "", "delete_individually": ""}),
    "waffle.sample": Admin("", actions={"delete_individually": ""}),
    "waffle.switch": Admin("", actions={"enable_switches": "", "disable_switches": "", "delete_individually": ""}),
    "delivery.customer": Admin(
        "OMS", "OS", "OS", "S", actions={"geocode_customers": "OS", "geocode_customers_replacing_pins": "OS"}
    ),
    "delivery.cylinderproduct": Admin("OMS", "S", "S", "S"),
    "delivery.cylinder": Admin("OMS", "OS", "OS", "S"),
    "delivery.vehicle": Admin("OMS", "S", "S", "S"),
    "delivery.driver": Admin("OMS", "S", "S", "S"),
    "delivery.invoice": Admin("OMS", "OS", "OS", "S", actions={"mark_paid": "OS"}),
    "delivery.payment": Admin("OMS", "", "OS", "S"),  # payments come from marking invoices paid
    "delivery.order": Admin(
        "OMS", "OS", "OS", "S", actions={"confirm_orders": "OS", "cancel_orders": "OS", "assign_to_route": "OS"}
    ),
    "delivery.route": Admin("OMS", "OS", "OS", "S", actions={"start_routes": "OS"}),
    "delivery.routestop": Admin("OMS", "OS", "OS", "S", actions={"reassign_stops": "OS"}),
    "delivery.ordertemplate": Admin("OMS", "OS", "OS", "S", actions={"create_tomorrows_orders": "OS"}),
    "delivery.recurringorder": Admin("OMS"),  # written only by the recurring-orders run
    "dispatch.depot": Admin("OMS", "OS", "OS", "S"),
    "dispatch.vehicleshift": Admin("OMS", "OS", "OS", "S", actions={"copy_to_next_day": "OS"}),
    "dispatch.plandraft": Admin("OMS"),  # written only by the planning page and its task
    "v3import.importrun": Admin("OMS"),  # written only by import_v3
    "v3import.importexception": Admin("OMS"),
    "v3import.deliveryrecord": Admin("OMS"),  # v3's delivery history, written only by import_v3
    "v3import.v3debitaccount": Admin("OMS"),  # the bank accounts v3 held, for review; written only by import_v3
    "offline_sync.driverdevice": Admin("OMS", "", "OS", actions={"revoke_devices": "OS", "reinstate_devices": "OS"}),
    "offline_sync.syncconflict": Admin(
        "OMS", "", "OS", actions={"keep_office": "OS", "apply_driver": "OS", "keep_all": "OS"}
    ),
    "offline_sync.syncaction": Admin("OMS"),
    "offline_sync.cashcollection": Admin("OMS", "", "OS", actions={"mark_reconciled": "OS", "mark_disputed": "OS"}),
    "offline_sync.mediaupload": Admin("OMS"),
    "offline_sync.stopnote": Admin("OMS"),
    "offline_sync.locationpoint": Admin("OMS"),
    "offline_sync.changelogentry": Admin("OMS"),
    "sms.provider": Admin("OMS", "", "OS"),
    "sms.template": Admin("OMS", "OS", "OS", "S"),
    "sms.message": Admin("OMS", "", "OS", actions=_RESEND),
    "sms.deadletter": Admin("OMS", "", "OS", actions=_RESEND),
    "sms.optout": Admin("OMS", "OS", "OS", "S"),
    "sms.marketingconsent": Admin("OMS", "OS", "OS", "S"),
    "sms.allowlistentry": Admin("OMS", "OS", "OS", "S"),
    "sms.limitbypass": Admin("OMS"),
    # Batches: the office prepares and sends, the manager approves (change covers the file steps).
    "banking.collectionbatch": Admin(
        "OMS", "", "OMS", actions={"approve": "MS", "approve_large": "MS", "generate_file": "OMS", "upload_now": "OMS"}
    ),
    "banking.bankaccount": Admin("OMS", "OS"),
    "banking.mandate": Admin(
        "OMS",
        "OS",
        "OS",
        actions={"request_cancel": "OS", "send_requests_now": "OS", "fetch_replies_now": "OS", "record_verified": "OS"},
    ),
    "banking.bank": Admin("OMS", "S", "S"),
    "banking.transferfile": Admin("OMS"),
    "banking.returnrecord": Admin("OMS"),
    "banking.reconciliation": Admin("OMS"),
    "banking.businessdayoverride": Admin("OMS", "S", "S", "S"),
    "banking.auditrecord": Admin("MS"),
    "dashboard.reportsubscription": Admin("S", "S", "S", "S", actions={"send_now": "S"}),
    "dashboard.exportjob": Admin("MS"),
    "dashboard.dailyrollup": Admin("MS"),
}
# Websocket routes: path -> roles whose handshake is accepted.
WEBSOCKETS: dict[str, frozenset[str]] = {
    "ws/driver/": roles("D"),
    "ws/dashboard/": roles("MS"),
}
# --------------------------------------------------------------------------------------------------
