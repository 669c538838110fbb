from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opennrm.cases.models import Case


class ErasureKind(models.TextChoices):
    RETENTION = "retention", _("Retention period over")
    ERASURE = "erasure", _("Erased at the person's request")


class Erasure(models.Model):
    """A case whose personal data was removed (its facts kept for statistics).

    Holds codes and dates only. One per case: a case is pseudonymised once.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="erasure")
    kind = models.CharField(_("why"), max_length=16, choices=ErasureKind.choices)
    state = models.CharField(_("state at the time"), max_length=32)
    at = models.DateTimeField(_("erased on"))

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"erasure of case {self.case_id} ({self.kind})"
