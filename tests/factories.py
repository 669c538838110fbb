"""factory_boy factories and the named personas reused by permission tests."""

from __future__ import annotations

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from opennrm.accounts.models import Agency, User
from opennrm.accounts.roles import AgencyType, Role

PASSWORD = "correct-horse-battery-staple"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    type = AgencyType.POLICE
    country = "UA"
    region = "Kyiv"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    agency = factory.SubFactory(AgencyFactory)
    role = Role.FRONTLINE
    password = factory.django.Password(PASSWORD)


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "phone"
    confirmed = True
