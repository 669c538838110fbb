from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "opennrm.notifications"
    label = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from opennrm.notifications import case_reminders, checks, reminders

        checks.register_checks()
        reminders.register(case_reminders.rg_decision_reminders)
        reminders.register(case_reminders.reflection_ending_reminders)
