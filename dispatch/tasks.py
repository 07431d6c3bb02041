from celery import shared_task
from django.utils import timezone

from dispatch.models import PlanDraft, PlanStatus


@shared_task(name="dispatch.plan_run", soft_time_limit=900, time_limit=960)
def plan_run_task(plan_id: int) -> None:
    """Run a queued plan once; a second delivery of the same task finds it no longer queued and does nothing."""
    from dispatch.services.plans import plan_mark_failed, plan_run

    claimed = PlanDraft.objects.filter(pk=plan_id, status=PlanStatus.QUEUED).update(
        status=PlanStatus.RUNNING,
        updated_at=timezone.now(),  # the page estimates progress from the start
    )
    if not claimed:
        return
    plan = PlanDraft.objects.select_related("depot").get(pk=plan_id)
    try:
        plan_run(plan=plan)
    except Exception as error:
        plan_mark_failed(plan_id=plan_id, error=str(error))
        raise
