from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chanjiao.core.errors import DomainError
from chanjiao.core.progress import terminal_progress

KINDS = ("regions", "programmes", "industries", "occupations", "organisations")


class Command(BaseCommand):
    help = "导入参考数据：regions（3个CSV或其所在目录）、programmes、industries、occupations、organisations"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("files", nargs="+", help="文件路径")
        parser.add_argument("--edition", default="", help="programmes：目录版本代码，如 2025")
        parser.add_argument("--edition-name", default="", help="programmes：目录版本名称")
        parser.add_argument("--year", type=int, default=0, help="programmes：目录年份")
        parser.add_argument(
            "--as", dest="username", default="", help="organisations：以哪位省级管理员的身份导入"
        )

    def handle(self, *args, kind: str, files: list[str], **options):
        paths = [Path(f) for f in files]
        for path in paths:
            if not path.exists():
                raise CommandError(f"文件不存在：{path}")
        progress = terminal_progress(f"导入 {kind}")
        try:
            result = getattr(self, f"import_{kind}")(paths, progress=progress, **options)
        except DomainError as exc:
            for error in exc.errors:
                self.stderr.write(f"  {error.field}: {error.message}")
            raise CommandError(f"导入失败：共 {len(exc.errors)} 个问题，未导入任何数据") from None
        results = result if isinstance(result, list) else [result]
        for item in results:
            self.stdout.write(self.style.SUCCESS(f"导入完成：{self.summary(item)}"))
            for warning in item.get("warnings", []) if isinstance(item, dict) else []:
                self.stdout.write(f"  更正：{warning}")

    @staticmethod
    def summary(result) -> str:
        from chanjiao.catalog.importers import summary_line

        if isinstance(result, dict) and {"created", "updated"} & set(result):
            return summary_line(result)
        if isinstance(result, dict):
            return "，".join(f"{k} {v}" for k, v in result.items() if not isinstance(v, list | dict))
        return str(result)

    def import_regions(self, paths, *, progress, **options):
        from chanjiao.core.importers import import_regions

        if len(paths) == 1 and paths[0].is_dir():
            folder = paths[0]
            paths = [
                folder / "regions-provinces.csv",
                folder / "regions-cities.csv",
                folder / "regions-areas.csv",
            ]
        if len(paths) not in (1, 3):
            raise CommandError(
                "regions 需要一个合并的区划文件（6位代码），或省、市、县3个 CSV，或它们所在的目录"
            )
        return import_regions(*paths, progress=progress)

    def import_programmes(self, paths, *, progress, edition, edition_name, year, **options):
        from chanjiao.catalog import importers

        if not edition or not year:
            raise CommandError("programmes 需要 --edition 与 --year，例如 --edition 2025 --year 2025")
        results = []
        for path in paths:
            kwargs = {
                "edition_code": edition,
                "edition_name": edition_name or f"{year}年专业目录",
                "year": year,
            }
            if path.suffix == ".jsonl":
                results.append(importers.import_programmes_jsonl(path, progress=progress, **kwargs))
            else:
                results.append(importers.import_programmes_xlsx(path, progress=progress, **kwargs))
        return results

    def import_industries(self, paths, *, progress, **options):
        from chanjiao.catalog.importers import import_industries_xlsx

        return [import_industries_xlsx(path, progress=progress) for path in paths]

    def import_occupations(self, paths, *, progress, **options):
        from chanjiao.catalog.importers import import_occupations_jsonl

        return [import_occupations_jsonl(path, progress=progress) for path in paths]

    def import_organisations(self, paths, *, progress, username, **options):
        from chanjiao.orgs.importers import organizations_import
        from chanjiao.orgs.models import User
        from chanjiao.orgs.selectors import actor_for

        user = User.objects.filter(username=username).first() if username else None
        if user is None:
            raise CommandError("organisations 需要 --as 指定一位省级管理员的用户名（导入记入审计日志）")
        actor = actor_for(user)
        created = []
        for path in paths:
            with path.open("rb") as fh:
                created += organizations_import(actor=actor, file=fh)
        return f"单位 {len(created)} 个"
