from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from opennrm.accounts.models import Agency, Jurisdiction, User


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "type", "country", "region", "is_synthetic")
    list_filter = ("type", "country", "is_synthetic")
    search_fields = ("name", "region")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "agency", "role", "is_active")
    list_filter = ("role", "is_active", "agency__type")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("OpenNRM", {"fields": ("agency", "role", "preferred_language")}),
    )


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("country", "time_zone", "reflection_days", "rg_decision_working_days")
