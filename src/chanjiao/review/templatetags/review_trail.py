"""The round's stage timeline for templates: `{% round_stages round as stages %}`."""

from django import template

from chanjiao.review.trail_selectors import stages

register = template.Library()


@register.simple_tag
def round_stages(review_round) -> list[dict]:
    """准备 → 分配 → 专家评分 → 专家组合议 → 推荐名单 → 公示 → 立项, each with `done`, `current`
    and the name of its page (`url_name`; the template links it only when the page exists)."""
    return stages(review_round)
