from django.core.management.base import BaseCommand

from chanjiao.core.progress import terminal_progress
from chanjiao.ops.demo_data import SCALES, generate


class Command(BaseCommand):
    help = "生成演示数据（确定性；再次运行只补充缺少的部分）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", choices=sorted(SCALES), default="small", help="small：演示；province：性能测试"
        )

    def handle(self, *args, scale: str, **options):
        target = SCALES[scale]
        self.stdout.write(
            f"生成演示数据（{scale}）：学校 {target.schools}，企业 {target.enterprises}，专家 {target.experts}"
        )
        created = generate(scale, progress=terminal_progress("演示数据"))
        self.stdout.write(
            self.style.SUCCESS(f"完成：新建单位 {created['organizations']} 个，人员 {created['people']} 人")
        )
