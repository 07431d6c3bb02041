from django.urls import path

from dispatch.api import views

urlpatterns = [
    path("day/", views.PlanningDayApi.as_view(), name="planning-api-day"),
    path("plans/", views.PlanCreateApi.as_view(), name="planning-api-plan-create"),
    path("plans/<int:plan_id>/", views.PlanDetailApi.as_view(), name="planning-api-plan"),
    path("plans/<int:plan_id>/move/", views.PlanStopMoveApi.as_view(), name="planning-api-stop-move"),
    path("plans/<int:plan_id>/unplan/", views.PlanStopUnplanApi.as_view(), name="planning-api-stop-unplan"),
    path("plans/<int:plan_id>/lock/", views.PlanStopLockApi.as_view(), name="planning-api-stop-lock"),
    path("plans/<int:plan_id>/reoptimize/", views.PlanReoptimizeApi.as_view(), name="planning-api-reoptimize"),
    path("plans/<int:plan_id>/publish/", views.PlanPublishApi.as_view(), name="planning-api-publish"),
]
