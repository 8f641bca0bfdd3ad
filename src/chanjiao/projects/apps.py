from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "chanjiao.projects"
    label = "projects"
    verbose_name = _("立项项目")
