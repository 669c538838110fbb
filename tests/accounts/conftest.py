"""Fixtures of the administration tests: two administrators, and the two-person rule on or off."""

from __future__ import annotations

import pytest

from opennrm.accounts.roles import Role
from tests.factories import UserFactory


@pytest.fixture
def admins(db):
    def make(name):
        return UserFactory(
            username=name, agency=None, role=Role.ADMIN, is_staff=True, is_superuser=True
        )

    return make("admin1"), make("admin2")


@pytest.fixture
def two_person(settings):
    settings.OPENNRM_TWO_PERSON_ADMIN = True


@pytest.fixture
def one_person(settings):
    settings.OPENNRM_TWO_PERSON_ADMIN = False
