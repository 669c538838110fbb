from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "opennrm.web"
    label = "web"
