import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "用 gunicorn 提供服务（CHANJIAO_BIND，默认 127.0.0.1:8000；CHANJIAO_WORKERS，默认 2）"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("CHANJIAO_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("CHANJIAO_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("CHANJIAO_THREADS", "4")))

    def handle(self, *args, bind: str, workers: int, threads: int, **options):
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        self.stdout.write(self.style.SUCCESS(f"产教融合平台 正在 http://{bind}/ 提供服务（Ctrl+C 停止）"))
        self.stdout.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "chanjiao.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--access-logfile",
            "-",
            "--preload",
            "--graceful-timeout",
            "5",
        ]
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with the server
