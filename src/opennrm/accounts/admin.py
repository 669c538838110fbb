"""The Django admin for agencies, users, second factors, sign-in throttling and API tokens.

Every change an administrator makes is written to the hash-chained audit log by
that administrator (ids and codes only). The most sensitive changes (removing a
second factor, a role change to a case role, setting another user's password)
go through the services, which under the two-person rule (OPENNRM_TWO_PERSON_ADMIN)
record a request that a second, different administrator approves on the
"administrative requests" page; only then is the change applied.
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.admin import AccessFailureLogAdmin as AxesAccessFailureLogAdmin
from axes.admin import AccessLogAdmin as AxesAccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as BaseTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from opennrm.accounts.models import AdminRequest, Agency, ApiToken, Jurisdiction, User
from opennrm.accounts.services import (
    admin_request_approve,
    admin_request_reject,
    api_token_revoke,
    login_throttle_reset,
    second_factor_remove_by_admin,
    user_admin_changes_record,
    user_password_set_by_admin,
    user_role_set_by_admin,
    user_snapshot,
)
from opennrm.audit.services import audit_record
from opennrm.core.errors import DomainError


def _replace(model: type, admin_class: type) -> None:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, admin_class)


def _pending_message(request: HttpRequest) -> None:
    messages.warning(
        request,
        _(
            "Recorded as a request: a second administrator must approve it on the "
            "administrative requests page before it takes effect."
        ),
    )


class AuditedAdmin(admin.ModelAdmin):
    """Every change an administrator makes is written to the hash-chained audit log."""

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=f"admin.{'change' if change else 'add'}",
            object_type=obj._meta.model_name,
            object_ref=str(obj.pk),
            detail={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        ref = str(obj.pk)
        super().delete_model(request, obj)
        audit_record(
            actor=request.user,
            action="admin.delete",
            object_type=obj._meta.model_name,
            object_ref=ref,
        )

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ("name", "type", "country", "region", "is_synthetic")
    list_filter = ("type", "country", "is_synthetic")
    search_fields = ("name", "region")


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ("username", "agency", "role", "is_active")
    list_filter = ("role", "is_active", "agency__type")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("OpenNRM", {"fields": ("agency", "role", "preferred_language")}),
    )

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            super().save_model(request, obj, form, change)
            return
        before = User.objects.get(pk=obj.pk)
        wanted_role = obj.role
        obj.role = before.role  # the role changes only through the service below
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            user_admin_changes_record(actor=request.user, user=obj, before=user_snapshot(before))
            if wanted_role != before.role:
                pending = user_role_set_by_admin(actor=request.user, user=obj, role=wanted_role)
                if pending is not None:
                    _pending_message(request)
                else:
                    obj.role = wanted_role

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        user = self.get_object(request, unquote(id))
        if user is None or not self.has_change_permission(request, user):
            raise PermissionDenied
        form = self.change_password_form(user, request.POST)
        if not form.is_valid():
            return super().user_change_password(request, id, form_url)  # renders the errors
        usable = form.cleaned_data.get("set_usable_password", True)
        encoded = make_password(form.cleaned_data["password1"] if usable else None)
        pending = user_password_set_by_admin(
            actor=request.user,  # type: ignore[arg-type]
            user=user,
            encoded_password=encoded,
        )
        if pending is not None:
            _pending_message(request)
        else:
            messages.success(request, _("Password changed successfully."))
            if user.pk != request.user.pk:
                messages.info(
                    request, _("The user enrols a new second factor at their next sign-in.")
                )
        opts = self.opts
        return HttpResponseRedirect(
            reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=(user.pk,),
            )
        )


@admin.register(Jurisdiction)
class JurisdictionAdmin(AuditedAdmin):
    list_display = ("country", "time_zone", "reflection_days", "rg_decision_working_days")


class GroupAdmin(AuditedAdmin, BaseGroupAdmin):
    pass


class TOTPDeviceAdmin(BaseTOTPDeviceAdmin):
    """Administrators see and remove second-factor devices; they never add or edit one
    (a device they made would let them pass as its user). Removal is audited and, under
    the two-person rule, approved by a second administrator."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        if second_factor_remove_by_admin(actor=request.user, devices=[obj]):
            _pending_message(request)

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        devices = list(queryset.select_related("user"))
        if second_factor_remove_by_admin(actor=request.user, devices=devices):
            _pending_message(request)


class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    """Removing throttling records (lifting a lock-out) is audited: how many, never whose."""

    actions = ["delete_selected"]

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        login_throttle_reset(actor=request.user, attempt_ids=[obj.pk])

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        login_throttle_reset(
            actor=request.user, attempt_ids=list(queryset.values_list("pk", flat=True))
        )


class AccessLogAdmin(AxesAccessLogAdmin):
    """The sign-in history is read-only: nobody deletes it from the admin."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AccessFailureLogAdmin(AxesAccessFailureLogAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed (with their scope and last use) and revoked (audited, with the
    owner's id), never created, edited or deleted here."""

    list_display = (
        "name",
        "prefix",
        "user",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope", "revoked_at")
    search_fields = ("user__username", "prefix", "name")
    readonly_fields = list_display
    exclude = ("digest",)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for token in queryset:
                api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
        messages.success(request, _("Tokens revoked."))


@admin.register(AdminRequest)
class AdminRequestAdmin(admin.ModelAdmin):
    """The two-person rule: a second administrator approves or rejects pending requests."""

    list_display = (
        "id",
        "kind",
        "target",
        "requested_by",
        "requested_at",
        "status",
        "decided_by",
    )
    list_filter = ("status", "kind")
    readonly_fields = list_display
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: Any, decide: Any) -> None:
        done = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                decide(actor=request.user, request_id=pk)
                done += 1
            except DomainError as exc:
                messages.error(request, f"#{pk}: {exc.message}")
        if done:
            messages.success(request, _("%(n)d request(s) decided.") % {"n": done})

    @admin.action(description=gettext_lazy("Approve and apply the selected requests"))
    def approve(self, request: HttpRequest, queryset: Any) -> None:
        self._decide(request, queryset, admin_request_approve)

    @admin.action(description=gettext_lazy("Reject the selected requests"))
    def reject(self, request: HttpRequest, queryset: Any) -> None:
        self._decide(request, queryset, admin_request_reject)


_replace(Group, GroupAdmin)
_replace(TOTPDevice, TOTPDeviceAdmin)
_replace(AccessAttempt, AccessAttemptAdmin)
_replace(AccessLog, AccessLogAdmin)
_replace(AccessFailureLog, AccessFailureLogAdmin)
