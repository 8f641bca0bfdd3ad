"""`chanjiao policy check FILE` and `chanjiao policy load FILE`: policy packs from the command line.

check validates a pack file and prints every problem with its path and line; it writes nothing.
load validates and stores it as a new version (refusing a version already loaded with different
content). Both exit with status 1 when the pack is refused.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chanjiao.core.errors import DomainError


class Command(BaseCommand):
    help = "政策包：check FILE 校验（不写入）；load FILE 校验并载入为新版本；load --shipped 载入随产品发布的政策包"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="校验政策包文件，列出全部问题及其位置，不写入数据库")
        check.add_argument("file", help="政策包 YAML 文件")
        load = sub.add_parser("load", help="校验并载入政策包（新版本成为现行版本）")
        load.add_argument("file", nargs="?", help="政策包 YAML 文件")
        load.add_argument("--shipped", action="store_true", help="载入随产品发布的全部政策包")

    def handle(self, *args, action: str, **options):
        if action == "check":
            self.check_file(options["file"])
        elif options.get("shipped"):
            self.load_shipped()
        elif options.get("file"):
            self.load_file(options["file"])
        else:
            raise CommandError("load 需要一个文件，或 --shipped")

    def _text(self, file: str) -> str:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise CommandError(f"文件不是 UTF-8 编码：{path}") from None

    def _refused(self, exc: DomainError, what: str) -> CommandError:
        for error in exc.errors:
            where = f"{error.field}: " if error.field and error.field != "file" else ""
            self.stderr.write(f"  {where}{error.message}")
        return CommandError(f"{what}：共 {len(exc.errors)} 个问题")

    def check_file(self, file: str) -> None:
        from chanjiao.policy.services import pack_check

        text = self._text(file)
        try:
            doc = pack_check(text=text)
        except DomainError as exc:
            raise self._refused(exc, "政策包未通过校验") from None
        systems = len(doc.indicator_systems)
        self.stdout.write(
            self.style.SUCCESS(
                f"校验通过：{doc.name}（{doc.code} {doc.version}），"
                f"项目类型 {len(doc.project_types)} 个，指标体系 {systems} 个"
            )
        )

    def load_file(self, file: str) -> None:
        from chanjiao.policy.services import pack_load

        text = self._text(file)
        try:
            result = pack_load(text=text)
        except DomainError as exc:
            raise self._refused(exc, "政策包未载入") from None
        pack = result.pack
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"已载入：{pack.name}（{pack.code} {pack.version}），现行版本；"
                    f"项目类型 {pack.project_types.count()} 个，指标体系 {pack.indicator_systems.count()} 个"
                )
            )
        else:
            self.stdout.write(f"无变化：{pack.name}（{pack.code} {pack.version}）已载入，内容相同")

    def load_shipped(self) -> None:
        from chanjiao.policy.services import load_shipped_packs

        try:
            for line in load_shipped_packs():
                self.stdout.write(line)
        except DomainError as exc:
            raise self._refused(exc, "政策包未载入") from None
