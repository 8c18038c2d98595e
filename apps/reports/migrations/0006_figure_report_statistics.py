"""Tell PostgreSQL's planner how many figures a report has.

ANALYZE samples 30,000 rows; on a table of 30 million figures it sees each report a few times at
most and estimates some 65,000 distinct reports instead of 500,000, i.e. 440 figures per report
instead of about 60. With that error, reading one organisation's figures looks big enough for a
parallel scan, which costs more to start than the whole answer. A distinct count relative to
the table's size (one report per ~50 figures) stays right as the table grows.
"""

from django.db import migrations


def set_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE reports_figure ALTER COLUMN report_id SET (n_distinct = -0.02)"
        )


def reset_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE reports_figure ALTER COLUMN report_id RESET (n_distinct)")


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_indexes_for_national_scale")]

    operations = [migrations.RunPython(set_statistics, reset_statistics, elidable=False)]
