from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from luckygas.delivery.selectors import route_list_for_user


class RouteListApi(APIView):
    """Routes the caller may see, optionally for one date (a driver sees only their own)."""

    class FilterSerializer(serializers.Serializer):
        date = serializers.DateField(required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        date = serializers.DateField()
        driver = serializers.CharField(source="driver.name")
        status = serializers.CharField()
        stop_count = serializers.IntegerField()

    @extend_schema(
        parameters=[OpenApiParameter("date", str, description="YYYY-MM-DD")],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        routes = route_list_for_user(request.user, date=filters.validated_data.get("date")).annotate(
            stop_count=Count("stops")
        )[:200]
        return Response(self.OutputSerializer(routes, many=True).data)
