from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from opennrm.accounts.models import Agency, User
from opennrm.cases.policy import AccessPurpose
from opennrm.cases.workflow import ScreeningOutcome, State
from opennrm.crypto.fields import EncryptedDateField, EncryptedTextField

__all__ = ["AccessPurpose"]  # re-exported: the codes live with the policy table


class ExploitationType(models.TextChoices):
    LABOUR = "labour", _("Labour exploitation")
    SEXUAL = "sexual", _("Sexual exploitation")
    CRIMINALITY = "criminality", _("Forced criminality")
    BEGGING = "begging", _("Forced begging")
    DOMESTIC_SERVITUDE = "domestic_servitude", _("Domestic servitude")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    ORGAN_REMOVAL = "organ_removal", _("Organ removal")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not yet known")


class DeadlineKind(models.TextChoices):
    RG_DECISION = "rg_decision", _("Reasonable-grounds decision due")
    REFLECTION_ENDS = "reflection_ends", _("Recovery and reflection period ends")


class Case(models.Model):
    """Case facts under a pseudonymous reference. Identity lives in ``Person``.

    ``summary`` and ``forced_criminality_note`` are encrypted at rest: no lookup on them
    in the database (see ``Person``)."""

    reference = models.CharField(_("reference"), max_length=16, unique=True)
    owning_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="cases")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("state"), max_length=32, choices=State.choices, default=State.FLAGGED
    )
    exploitation_type = models.CharField(
        _("form of exploitation"),
        max_length=32,
        choices=ExploitationType.choices,
        default=ExploitationType.UNKNOWN,
    )
    country = models.CharField(_("country"), max_length=2)
    region = models.CharField(_("region"), max_length=100, blank=True)
    is_child = models.BooleanField(_("child (under 18)"), default=False)
    forced_criminality = models.BooleanField(
        _("compelled to commit offences (non-punishment)"), default=False
    )
    forced_criminality_note = EncryptedTextField(_("non-punishment note"), blank=True)
    summary = EncryptedTextField(_("case summary (no identifying details)"), blank=True)
    screening_outcome = models.CharField(
        _("screening outcome"), max_length=32, choices=ScreeningOutcome.choices, blank=True
    )
    rg_due = models.DateField(_("reasonable-grounds decision due"), null=True, blank=True)
    reflection_starts = models.DateField(_("reflection period starts"), null=True, blank=True)
    reflection_ends = models.DateField(_("reflection period ends"), null=True, blank=True)
    deadline = models.DateField(_("next deadline"), null=True, blank=True)
    deadline_kind = models.CharField(max_length=32, choices=DeadlineKind.choices, blank=True)
    anonymous_report = models.BooleanField(
        _("anonymous report (the adult declined consent; no personal data kept)"), default=False
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(
                fields=["owning_agency", "state", "region", "deadline"], name="case_search_idx"
            ),
            # covering: a search page's ids come from this index alone (index-only scan)
            models.Index(
                fields=["state", "region", "deadline"],
                include=["owning_agency", "created_at", "id"],
                name="case_state_region_cov_idx",
            ),
            models.Index(fields=["deadline"], name="case_deadline_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class Person(models.Model):
    """Personal data of the person in a case, held apart from case facts.

    Names, date of birth, contact details and identity documents are encrypted at rest
    (``opennrm.crypto.fields``, keys in ``OPENNRM_DATA_KEYS``): read and assign them as
    plain values, but the database cannot search them. No substring, case-insensitive,
    exact, range or date-part (``__year``) lookup and no ordering on them; only
    ``isnull``. Filter in Python after loading, or add a blind-index column
    (``DataCipher.blind_index``) for exact matches. Gender, age band, citizenship and
    languages stay plain for statistics.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="person")
    given_name = EncryptedTextField(_("given name"), max_length=150, blank=True)
    family_name = EncryptedTextField(_("family name"), max_length=150, blank=True)
    other_names = EncryptedTextField(_("other names used"), max_length=300, blank=True)
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    age_band = models.CharField(_("age band"), max_length=16, blank=True)
    gender = models.CharField(_("gender"), max_length=32, blank=True)
    citizenship = models.CharField(_("citizenship"), max_length=100, blank=True)
    languages = models.CharField(_("languages"), max_length=200, blank=True)
    contact = EncryptedTextField(_("safe contact details"), blank=True)
    documents = EncryptedTextField(_("identity documents"), blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"person of {self.case_id}"


EVENT_LABELS = {
    "created": _("Case opened"),
    "updated": _("Case facts edited"),
    "non_punishment_flag": _("Non-punishment flag set"),
    "non_punishment_unflag": _("Non-punishment flag removed"),
    "person_updated": _("Personal data saved"),
    "grant": _("Access granted"),
    "grant_revoked": _("Access revoked"),
    "grant_ended": _("Access ended"),
    "consent_given": _("Consent recorded"),
    "consent_refused": _("Consent refused: kept as an anonymous report"),
    "consent_withdrawn": _("Consent withdrawn"),
    "consent_refused_one": _("Consent refused for one purpose"),
    "legal_basis": _("Shared without consent on a legal basis"),
    "access_requested": _("Access requested"),
    "access_approved": _("Access request approved"),
    "access_refused": _("Access request refused"),
    "handover_requested": _("Hand-over requested"),
    "handover_accepted": _("Case handed over"),
    "handover_refused": _("Hand-over refused"),
    "referral": _("Referral to a service"),
}


class CaseEvent(models.Model):
    """The case timeline: creation, transitions, edits, flags and grants."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    transition = models.CharField(max_length=40, blank=True)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    actor_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", null=True)
    at = models.DateTimeField()
    reason = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.transition}".strip()

    @property
    def from_label(self) -> str:
        return str(State(self.from_state).label) if self.from_state else ""

    @property
    def to_label(self) -> str:
        return str(State(self.to_state).label) if self.to_state else ""

    @property
    def kind_label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language: codes stored by the writer (field names of
        an edit, a consent's kind, an app's codes) become words when read, whoever wrote
        them and in whatever language; free text stays as written."""
        from opennrm.cases import hooks

        reason = self.reason
        if not reason:
            return ""
        if self.kind == "updated":
            names = []
            for name in reason.split(", "):
                try:
                    names.append(str(Case._meta.get_field(name).verbose_name))
                except FieldDoesNotExist:  # a field since removed: show what was stored
                    names.append(name)
            return ", ".join(names)
        if self.kind in ("consent_given", "consent_refused_one", "consent_withdrawn"):
            return _consent_kind_word(reason)
        render = hooks.event_reason_renderers.get(self.kind)
        return render(reason) if render else reason


def _consent_kind_word(stored: str) -> str:
    """A consent kind as a word: stored as its code, or (older entries) as its label in the
    writer's language."""
    if stored in ConsentKind.values:
        return str(ConsentKind(stored).label)
    from django.utils import translation

    for kind in ConsentKind:
        for lang in ("en", "uk", "ru"):
            with translation.override(lang):
                if str(kind.label) == stored:
                    return str(kind.label)
    return stored


class CaseGrant(models.Model):
    """Need-to-know access to one case for another agency or a single user."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="grants")
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=AccessPurpose.choices)
    note = EncryptedTextField(_("note (no personal data)"), max_length=500, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    consent = models.ForeignKey(
        "Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="grants"
    )
    legal_basis = models.CharField(
        _("legal basis (shared without consent)"), max_length=32, blank=True
    )
    legal_basis_note = EncryptedTextField(_("written legal basis"), max_length=1000, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(agency__isnull=False, user__isnull=True)
                    | models.Q(agency__isnull=True, user__isnull=False)
                ),
                name="grant_to_agency_xor_user",
            )
        ]
        indexes = [
            # the visibility EXISTS of cases_visible_to, as index-only scans
            models.Index(
                fields=["agency", "expires_at"],
                include=["case"],
                condition=models.Q(revoked_at__isnull=True),
                name="grant_agency_active_idx",
            ),
            models.Index(
                fields=["user", "expires_at"],
                include=["case"],
                condition=models.Q(revoked_at__isnull=True),
                name="grant_user_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"grant {self.pk} on case {self.case_id}"


class ConsentKind(models.TextChoices):
    SHARING = "sharing", _("Sharing with a named agency")
    REFERRAL = "referral", _("Referral to a named service")
    TRANSNATIONAL = "transnational", _("Transfer to a partner in another country")
    STATISTICS = "statistics", _("Use in statistics")


#: Languages an interpreter may have used when consent was asked.
INTERPRETER_LANGUAGES = [
    ("uk", _("Ukrainian")),
    ("ru", _("Russian")),
    ("en", _("English")),
    ("pl", _("Polish")),
    ("ro", _("Romanian")),
    ("de", _("German")),
    ("ar", _("Arabic")),
    ("fa", _("Persian")),
    ("vi", _("Vietnamese")),
    ("other", _("Another language")),
]


class ConsentMethod(models.TextChoices):
    IN_PERSON = "in_person", _("Said in person")
    WRITTEN = "written", _("Signed form")
    PHONE = "phone", _("By phone or video call")


class GuardianRole(models.TextChoices):
    NONE = "", _("No guardian (adult)")
    PARENT = "parent", _("Parent")
    LEGAL_GUARDIAN = "legal_guardian", _("Legal guardian")
    APPOINTED = "appointed", _("Guardian appointed for the child")


class LegalBasis(models.TextChoices):
    """When the law allows sharing without the person's consent."""

    CHILD_PROTECTION = "child_protection", _("Child protection")
    STATUTORY_DUTY = "statutory_duty", _("Duty or power in law (written basis)")
    VITAL_INTEREST = "vital_interest", _("Danger to life or health")


class Consent(models.Model):
    """The person's answer to one purpose of sharing, with its scope and expiry.

    ``given`` False records a refusal. Withdrawal takes effect at once: the grants that
    rest on it end in the same transaction.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("consent to"), max_length=16, choices=ConsentKind.choices)
    given = models.BooleanField(_("consent given"), default=True)
    purpose = models.CharField(
        _("purpose"), max_length=32, choices=AccessPurpose.choices, blank=True
    )
    recipient_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service_ref = models.CharField(_("service"), max_length=64, blank=True)
    service_name = models.CharField(_("service"), max_length=300, blank=True)
    partner = models.CharField(_("partner deployment"), max_length=100, blank=True)
    fields = models.JSONField(_("personal data in scope"), default=list, blank=True)
    obtained_on = models.DateField(_("date obtained"))
    method = models.CharField(_("how obtained"), max_length=16, choices=ConsentMethod.choices)
    interpreter_language = models.CharField(
        _("interpreter present, language"), max_length=8, blank=True
    )
    guardian = models.CharField(
        _("guardian who agreed (child)"), max_length=16, choices=GuardianRole.choices, blank=True
    )
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"consent {self.pk} ({self.kind}) on case {self.case_id}"


class AccessRequest(models.Model):
    """Another agency asks the owner for a case, with a purpose; the owner decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the owner")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_requests")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=32, choices=AccessPurpose.choices)
    reason = EncryptedTextField(_("why (no personal data)"), max_length=1000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    answer = EncryptedTextField(_("answer"), max_length=1000, blank=True)
    grant = models.ForeignKey(CaseGrant, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"access request {self.pk} on case {self.case_id}"


class Handover(models.Model):
    """Transfer of a case's ownership: requested by the owner, accepted by the recipient."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the receiving agency")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handovers")
    from_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField(_("why (no personal data)"), max_length=1000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    answer = EncryptedTextField(_("answer"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"hand-over {self.pk} of case {self.case_id}"
