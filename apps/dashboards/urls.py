from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("export/values.csv", views.export_values_csv, name="export_values_csv"),
    path("export/values.xlsx", views.export_values_xlsx, name="export_values_xlsx"),
]
