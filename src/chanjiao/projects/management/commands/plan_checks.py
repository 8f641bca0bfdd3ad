"""Runs every plan check for every project under construction and writes the alerts (预警)."""

from django.core.management.base import BaseCommand

from chanjiao.projects.checks import run_checks
from chanjiao.projects.models import Project


class Command(BaseCommand):
    help = "计划预警：对所有建设中的项目运行全部计划检查（打开新预警，解除已满足的预警）"

    def handle(self, *args, **options):
        counts = run_checks(Project.objects.filter(status=Project.Status.UNDER_CONSTRUCTION))
        self.stdout.write("opened={opened} updated={updated} closed={closed}".format(**counts))
