"""The dispatcher's planning page; its data comes from dispatch.api."""

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dispatch.models import Depot, PlanDraft
from dispatch.selectors import user_may_plan

OPENSTREETMAP_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'


def _page_strings() -> dict[str, object]:
    return {
        "plan": _("Plan"),
        "planning": _("Planning… %s%%"),
        "queued": _("Waiting for the planner…"),
        "draft": _("Draft: nothing changes until you publish."),
        "published": _("Published %s: the drivers' phones have the routes."),
        "failed": _("Planning failed: %s"),
        "noPlan": _("No plan for this day yet: press Plan."),
        "noShifts": _("No vehicle shifts on this day for this depot: add them in admin first."),
        "stops": _("%s stops"),
        "kg": _("%s kg"),
        "cylinders": _("%s cylinders"),
        "empties": _("%s empties"),
        "km": _("%s km"),
        "late": _("%s late"),
        "lock": _("Lock"),
        "unlock": _("Unlock"),
        "locked": _("Locked"),
        "arrival": _("Arrival %s"),
        "window": _("Window %s–%s"),
        "unplanned": _("Unplanned orders"),
        "noUnplanned": _("Every order is on a route."),
        "dropHere": _("Drop a stop here"),
        "confirmPublish": _(
            "Publish this plan? Routes and stops are created or changed and the drivers' phones receive them."
        ),
        "publishedResult": _("Published: %s routes, %s stops."),
        "alreadyPublished": _("This plan is already published."),
        "moved": _("Moved. %s"),
        "unplannedResult": _("Taken off the route. %s"),
        "noViolations": _("No constraint broken."),
        "violationCount": _("%s constraints broken"),
        "error": _("Error: %s"),
        "networkError": _("The server could not be reached; try again."),
        "urgent": _("Urgent"),
    }


@login_required
@require_GET
def planning_page(request: HttpRequest) -> HttpResponse:
    if not user_may_plan(request.user):
        raise PermissionDenied(_("You need the permission to plan routes."))
    depots = list(Depot.objects.filter(is_active=True).order_by("name"))
    date = timezone.localdate() + datetime.timedelta(days=1)
    depot = depots[0] if depots else None
    plan_id = request.GET.get("plan", "")
    plan = PlanDraft.objects.filter(pk=int(plan_id)).first() if plan_id.isdigit() and len(plan_id) < 12 else None
    if plan is not None:
        date, depot = plan.date, plan.depot
    config = {
        "dayUrl": reverse("dispatch:planning-api-day"),
        "createUrl": reverse("dispatch:planning-api-plan-create"),
        "planUrl": reverse("dispatch:planning-api-plan", args=[0]).replace("/0/", "/PLAN/"),
        "tileUrl": settings.DISPATCH_MAP_TILE_URL,
        "tileAttribution": OPENSTREETMAP_ATTRIBUTION,
        "date": date.isoformat(),
        "depot": depot.pk if depot else None,
        "plan": plan.pk if plan else None,
        "pollMilliseconds": 1000,
        "csrfToken": get_token(request),
    }
    return render(
        request,
        "dispatch/planning.html",
        {"depots": depots, "config": config, "i18n": _page_strings(), "date": date, "depot": depot},
    )
