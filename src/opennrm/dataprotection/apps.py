from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    name = "opennrm.dataprotection"
    label = "dataprotection"
    verbose_name = "Data protection"
