from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "opennrm.referrals"
    label = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from opennrm.cases import hooks
        from opennrm.referrals import services

        hooks.consent_withdrawn_listeners.append(services.referrals_end_for_consent)
        hooks.event_reason_renderers["referral"] = services.event_reason_text
        if self.apps.is_installed("opennrm.notifications"):
            from opennrm.notifications import reminders
            from opennrm.notifications.selectors import register_object_link

            reminders.register(services.referral_reminders)
            register_object_link(
                ["referral_new", "referral_answered", "referral_response_due", "referral_overdue"],
                services.referral_links,
            )
