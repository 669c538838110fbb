"""Data: flagged posts stored before categories were kept get theirs (recruitment or
generic spam), so the recruitment queue, the default, does not hide them."""

from django.db import migrations


def backfill(apps, schema_editor):
    from opennrm.monitoring import load_flags
    from opennrm.monitoring.normalize import normalize
    from opennrm.monitoring.scoring import load_topics

    post_model = apps.get_model("online", "MonitoredPost")
    flags, topics = load_flags(), load_topics()
    pending = post_model.objects.filter(flagged=True, category="").order_by("pk")
    last = 0
    while True:
        chunk = list(pending.filter(pk__gt=last).only("pk", "text")[:500])
        if not chunk:
            return
        for post in chunk:
            norm = normalize(post.text)
            post.category = topics.category(post.text, norm, flags.evaluate(post.text, norm))
        post_model.objects.bulk_update(chunk, ["category"])
        last = chunk[-1].pk


class Migration(migrations.Migration):
    dependencies = [("online", "0004_campaign_index_and_post_category")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
