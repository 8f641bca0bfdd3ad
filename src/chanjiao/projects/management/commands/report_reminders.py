"""Tells schools whose periodic report is due within 14 days or overdue (once a day per report)."""

from django.core.management.base import BaseCommand

from chanjiao.projects.reports_services import report_reminders


class Command(BaseCommand):
    help = "定期报告提醒：截止日期前14天内或已逾期且未提交的报告，通知建设单位（每天每期一次）"

    def handle(self, *args, **options):
        self.stdout.write(f"sent={report_reminders()}")
