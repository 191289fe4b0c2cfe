"""Choices of the webhooks app."""

from django.db import models


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    DROPPED = "dropped", "Dropped"


class AckState(models.TextChoices):
    WAITING = "waiting", "Waiting"
    ACKED = "acked", "Acknowledged"
    EXPIRED = "expired", "Expired (the job stopped waiting)"
