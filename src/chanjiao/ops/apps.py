from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operator commands (demo, serve, import, demo data). Rightmost: it may import every app; none imports it."""

    name = "chanjiao.ops"
    label = "ops"
    verbose_name = _("运维")
