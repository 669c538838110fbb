"""Factories and helpers for notification tests."""

from __future__ import annotations

import factory

from opennrm.notifications.models import Notification
from tests.factories import UserFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "referral_new"
    params = factory.LazyFunction(dict)
