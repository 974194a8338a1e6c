from django.contrib import admin
from django.urls import include, path, re_path

from tenure.api.main import api, not_found

# The back office carries the app's name (Django's default says "Django administration").
admin.site.site_header = "tenure"
admin.site.site_title = "tenure"
admin.site.index_title = "Back office"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<path>.*)$", not_found),
    path("", include("tenure.web.public_urls")),
    path("", include("tenure.web.urls")),
]
