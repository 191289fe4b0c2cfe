"""Filters for the webhooks API."""

import django_filters

from contractor.webhooks.models import Delivery, Event, Subscription


class SubscriptionFilterSet(django_filters.FilterSet):
    """`?name=`, `?active=`, `?one_shot=`, `?site=<name>`."""

    site = django_filters.CharFilter(field_name="site__name")

    class Meta:
        model = Subscription
        fields = {"name": ["exact", "icontains"], "active": ["exact"], "one_shot": ["exact"]}


class EventFilterSet(django_filters.FilterSet):
    """`?kind=`, `?kind__startswith=job.`, `?target_kind=`, `?target_id=`, `?site=<name>`."""

    site = django_filters.CharFilter(field_name="site__name")

    class Meta:
        model = Event
        fields = {"kind": ["exact", "startswith"], "target_kind": ["exact"], "target_id": ["exact"]}


class DeliveryFilterSet(django_filters.FilterSet):
    """`?state=`, `?subscription=<name>`, `?event=<id>`."""

    subscription = django_filters.CharFilter(field_name="subscription__name")

    class Meta:
        model = Delivery
        fields = {"state": ["exact"], "event": ["exact"]}
