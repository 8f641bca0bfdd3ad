from django.core.management.base import BaseCommand, CommandError

from chanjiao.ops.demo_projects import latest_assessment_round, submit_demo_self_assessments
from chanjiao.ops.demo_review import DEMO_EXPERT, submit_demo_sheets


class Command(BaseCommand):
    help = "推进江苏建设与验收演示：其他学校提交自评报告；其他评审专家提交验收或绩效评价评分表"

    def add_arguments(self, parser):
        parser.add_argument(
            "--self-assessments",
            action="store_true",
            help="除 js_school_admin 所在学校外，批次中其他学校提交自评报告（演示中他们没有可登录的密码）",
        )
        parser.add_argument(
            "--others-score",
            action="store_true",
            help=f"最近的验收或绩效评价轮次中，除 {DEMO_EXPERT} 外的评审专家提交评分表",
        )
        parser.add_argument(
            "--everyone-scores", action="store_true", help=f"所有评审专家（含 {DEMO_EXPERT}）提交评分表"
        )

    def handle(self, *args, self_assessments=False, others_score=False, everyone_scores=False, **options):
        if not (self_assessments or others_score or everyone_scores):
            raise CommandError("请指定 --self-assessments、--others-score 或 --everyone-scores")
        if self_assessments:
            n = submit_demo_self_assessments()
            self.stdout.write(f"提交自评报告 {n} 份")
        if others_score or everyone_scores:
            review_round = latest_assessment_round()
            if review_round is None:
                raise CommandError(
                    "还没有进入专家评审的验收或绩效评价批次：请先在“验收与绩效评价”中开始专家评审"
                )
            n = submit_demo_sheets(review_round, leave_to=None if everyone_scores else DEMO_EXPERT)
            self.stdout.write(f"{review_round.name}：提交评分表 {n} 份")
