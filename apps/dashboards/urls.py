from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("compare/", views.compare, name="compare"),
    path("indicators/", views.indicator_index, name="indicators"),
    path("indicators/<slug:code>/", views.indicator, name="indicator"),
    path("organisations/<slug:code>/", views.organisation, name="organisation"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("export/values.csv", views.export_values_csv, name="export_values_csv"),
    path("export/values.xlsx", views.export_values_xlsx, name="export_values_xlsx"),
    # The read API: the data behind every page, with the same filters.
    path("api/", views.api_index, name="api"),
    path("api/overview", views.api_overview, name="api_overview"),
    path("api/compare", views.api_compare, name="api_compare"),
    path("api/indicators", views.api_indicators, name="api_indicators"),
    path("api/indicators/<slug:code>", views.api_indicator, name="api_indicator"),
    path("api/organisations/<slug:code>", views.api_organisation, name="api_organisation"),
    path("api/reports/<int:pk>", views.api_report, name="api_report"),
]
