from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from chanjiao.api import api

admin.site.site_header = _("产教融合平台 后台管理")
admin.site.site_title = _("产教融合平台")
admin.site.index_title = _("后台管理")

urlpatterns = [
    path("", include("chanjiao.dashboards.urls")),
    path("", include("chanjiao.core.urls")),
    path("", include("chanjiao.orgs.urls")),
    path("catalog/", include("chanjiao.catalog.urls")),
    path("policy/", include("chanjiao.policy.urls")),
    path("applications/", include("chanjiao.applications.urls")),
    path("review/", include("chanjiao.review.urls")),
    path("projects/", include("chanjiao.projects.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
