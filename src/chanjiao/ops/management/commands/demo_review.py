from django.core.management.base import BaseCommand, CommandError

from chanjiao.ops.demo_review import DEMO_EXPERT, end_publicity, scenario_round, submit_demo_sheets


class Command(BaseCommand):
    help = "推进江苏专家评审演示：其他评审专家提交评分；公示期满（代表时间推移）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--others-score",
            action="store_true",
            help=f"除 {DEMO_EXPERT} 外的评审专家提交评分表（演示中他们没有可登录的密码）",
        )
        parser.add_argument(
            "--everyone-scores", action="store_true", help=f"所有评审专家（含 {DEMO_EXPERT}）提交评分表"
        )
        parser.add_argument("--publicity-over", action="store_true", help="公示日期整周前移，使公示期已满")

    def handle(self, *args, others_score=False, everyone_scores=False, publicity_over=False, **options):
        review_round = scenario_round()
        if review_round is None:
            raise CommandError("还没有江苏专家评审演示的评审轮次：请先运行 chanjiao demo")
        if not (others_score or everyone_scores or publicity_over):
            raise CommandError("请指定 --others-score、--everyone-scores 或 --publicity-over")
        if others_score or everyone_scores:
            n = submit_demo_sheets(review_round, leave_to=None if everyone_scores else DEMO_EXPERT)
            self.stdout.write(f"{review_round.name}：提交评分表 {n} 份")
        if publicity_over:
            publicity = end_publicity(review_round)
            if publicity is None:
                raise CommandError(f"{review_round.name} 还没有发布公示")
            self.stdout.write(
                f"{publicity.title}：公示期 {publicity.starts_on:%Y-%m-%d} 至 {publicity.ends_on:%Y-%m-%d}，已期满"
            )
