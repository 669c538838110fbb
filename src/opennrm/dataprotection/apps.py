from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    name = "opennrm.dataprotection"
    label = "dataprotection"
    verbose_name = "Data protection"

    def ready(self) -> None:
        from opennrm.cases import hooks
        from opennrm.dataprotection.erasure import erase_linked_free_text

        hooks.case_anonymised_listeners.append(erase_linked_free_text)
