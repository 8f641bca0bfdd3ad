"""产教融合平台 (chanjiao): provincial industry-education integration plans, run end to end."""

from .celery import app as celery_app

__all__ = ["celery_app"]
