from django.apps import AppConfig


class HttpGuardConfig(AppConfig):
    name = "opennrm.httpguard"
    label = "httpguard"
    verbose_name = "HTTP request guards"
