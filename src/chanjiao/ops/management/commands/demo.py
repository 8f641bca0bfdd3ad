import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from chanjiao.ops.demo_data import DEMO_PASSWORD, demo_accounts
from chanjiao.ops.demo_projects import seed_projects_scenario
from chanjiao.ops.demo_review import seed_review_scenario
from chanjiao.ops.reference import load_reference_seeds


class Command(BaseCommand):
    help = "迁移数据库、加载政策与参考数据和演示数据、打印演示账号，并在 127.0.0.1:8000 提供服务"

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动服务")

    def handle(self, *args, no_serve: bool = False, **options):
        started = time.monotonic()
        self.stdout.write("1/6 数据库迁移…")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("2/6 参考数据（行政区划、专业与行业目录、政策包）…")
        for line in load_reference_seeds():
            self.stdout.write(f"    {line}")
        self.stdout.write("3/6 演示数据…")
        call_command("demo_data", scale="small", stdout=self.stdout)
        self.stdout.write("4/6 专家评审演示（江苏）…")
        self.print_review(seed_review_scenario())
        self.stdout.write("5/6 建设与验收演示（江苏2023年第一批项目）…")
        # the notices the cohort's history sends stay in the inbox; printing each email would bury
        # the accounts below
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            self.print_projects(seed_projects_scenario())
        self.stdout.write(f"6/6 准备完成（{time.monotonic() - started:.1f} 秒）\n")
        self.print_accounts()
        if not no_serve:
            call_command("serve")

    def print_review(self, scenario):
        made = scenario.created
        round_ = scenario.review_round
        self.stdout.write(f"    申报通知：{scenario.call.title}（评审中的申报 {scenario.applications} 项）")
        self.stdout.write(f"    江苏专家库：在库 {scenario.pool} 人，其中行业企业专家 {scenario.industry} 人")
        self.stdout.write(
            f"    评审轮次：{round_.name}（{round_.get_status_display()}，/review/rounds/{round_.pk}/）"
        )
        self.stdout.write(
            f"    本次新建：申报 {made['applications']} 项，单位 {made['organizations']} 个，"
            f"人员 {made['people']} 人，专家入库（两省） {made['experts'] + made['other_profiles']} 人，"
            f"评审轮次 {made['rounds']} 个"
        )

    def print_projects(self, scenario):
        made = scenario.created
        walk = scenario.walkthrough
        self.stdout.write(f"    申报通知：{scenario.call.title}（立项项目 {len(scenario.projects)} 个）")
        self.stdout.write(
            f"    演示项目：{walk.code} {walk.title}（{walk.organization.name}，/projects/{walk.pk}/）"
        )
        self.stdout.write(f"    本次新建：项目 {made['projects']} 个，定期报告 {made['reports']} 份")

    def print_accounts(self):
        self.stdout.write(self.style.MIGRATE_HEADING(f"演示账号（密码均为 {DEMO_PASSWORD}）："))
        for account, org in demo_accounts():
            self.stdout.write(f"  {account.username:<18} {account.display_name:<6} {account.note:<20} {org}")
        self.stdout.write("")
