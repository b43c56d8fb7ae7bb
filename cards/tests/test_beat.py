"""What Celery beat runs for the cards app."""

from celery.schedules import crontab
from django.conf import settings


def test_the_pass_reminder_runs_daily_at_nine_japan_time():
    entry = settings.CELERY_BEAT_SCHEDULE["pass-expiry-reminders"]
    assert entry["task"] == "cards.tasks.pass_reminders_send"
    assert entry["schedule"] == crontab(hour=9, minute=0)
    assert settings.CELERY_TIMEZONE == "Asia/Tokyo"
