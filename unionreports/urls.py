from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from apps.reports.views import media

admin.site.site_header = _("Union annual reports · administration")
admin.site.site_title = _("Union annual reports")
admin.site.index_title = _("Data entry and administration")

urlpatterns = [
    # Uploaded files go through an access check (see apps.reports.views.media).
    path(f"{settings.MEDIA_URL.strip('/')}/<path:name>", media, name="media"),
]

# Chinese at /, English under /en/: the URL alone decides the language, so a link reproduces
# exactly what was seen and public pages cache without varying on cookies.
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("apps.dashboards.urls")),
    prefix_default_language=False,
)
