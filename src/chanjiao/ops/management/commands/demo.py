import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from chanjiao.ops.demo_data import DEMO_PASSWORD, demo_accounts
from chanjiao.ops.reference import load_reference_seeds


class Command(BaseCommand):
    help = "迁移数据库、加载政策与参考数据和演示数据、打印演示账号，并在 127.0.0.1:8000 提供服务"

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动服务")

    def handle(self, *args, no_serve: bool = False, **options):
        started = time.monotonic()
        self.stdout.write("1/4 数据库迁移…")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("2/4 参考数据（行政区划、专业与行业目录、政策包）…")
        for line in load_reference_seeds():
            self.stdout.write(f"    {line}")
        self.stdout.write("3/4 演示数据…")
        call_command("demo_data", scale="small", stdout=self.stdout)
        self.stdout.write(f"4/4 准备完成（{time.monotonic() - started:.1f} 秒）\n")
        self.print_accounts()
        if not no_serve:
            call_command("serve")

    def print_accounts(self):
        self.stdout.write(self.style.MIGRATE_HEADING(f"演示账号（密码均为 {DEMO_PASSWORD}）："))
        for account, org in demo_accounts():
            self.stdout.write(f"  {account.username:<18} {account.display_name:<6} {account.note:<20} {org}")
        self.stdout.write("")
