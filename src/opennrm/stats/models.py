"""The differential-privacy budget of each country's data, per year of registration."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.models import User


class PrivacyBudget(models.Model):
    """How much epsilon may ever be spent on one country's cases registered in one year."""

    country = models.CharField(_("country"), max_length=2)
    year = models.PositiveIntegerField(_("year of registration"))
    epsilon_budget = models.FloatField(_("epsilon budget"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["country", "year"], name="privacy_budget_country_year")
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.year}"


class PrivacySpend(models.Model):
    """One differentially private release charged to a budget (never edited)."""

    budget = models.ForeignKey(PrivacyBudget, on_delete=models.PROTECT, related_name="spends")
    kind = models.CharField(max_length=32)
    epsilon = models.FloatField()
    delta = models.FloatField(default=0.0)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} ε={self.epsilon:g}"
