from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from opennrm.accounts.models import Agency, Jurisdiction, User
from opennrm.audit.services import audit_record


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


@admin.register(Jurisdiction)
class JurisdictionAdmin(AuditedAdmin):
    list_display = ("country", "time_zone", "reflection_days", "rg_decision_working_days")
