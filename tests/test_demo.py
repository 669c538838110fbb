import pytest
from click.testing import CliRunner

from opennrm.accounts.models import Agency, User
from opennrm.accounts.roles import AgencyType, Role
from opennrm.audit.selectors import audit_verify
from opennrm.cases.models import Case
from opennrm.cases.workflow import State
from opennrm.demo import demo_exists, load_demo
from opennrm.online.models import MonitoredPost

pytestmark = pytest.mark.django_db


def test_demo_covers_every_agency_type_role_and_is_labelled():
    summary = load_demo(cases=60)
    assert demo_exists()
    assert set(Agency.objects.values_list("type", flat=True)) == set(AgencyType.values)
    assert all(a.is_synthetic and "(DEMO)" in a.name for a in Agency.objects.all())
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert Case.objects.count() >= 60
    states = set(Case.objects.values_list("state", flat=True))
    assert len(states) >= 8
    assert State.REFERRED in states and State.RECOVERY_REFLECTION in states
    assert Case.objects.filter(deadline__isnull=False).exists()
    assert MonitoredPost.objects.filter(flagged=True).exists()
    assert audit_verify().ok
    assert len(summary.users) == User.objects.count() == 12


def test_demo_code_is_refused_for_real_users(world):
    from opennrm.cli import main
    from tests.factories import TOTPDeviceFactory

    TOTPDeviceFactory(user=world.officer)
    result = CliRunner().invoke(main, ["demo-code", "officer"])
    assert result.exit_code != 0 and "No demo user" in result.output
