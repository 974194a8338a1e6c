"""Housekeeping run by the worker. Safe to run twice: each step deletes only what is expired."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_q.models import Success

UPLOAD_RETENTION = timedelta(days=30)
RESULT_RETENTION = timedelta(days=30)


def housekeeping() -> dict[str, int]:
    """Remove expired sessions, import uploads older than 30 days and old task results."""
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    results, _ = Success.objects.filter(stopped__lt=now - RESULT_RETENTION).delete()
    uploads = 0
    upload_dir = Path(settings.MEDIA_ROOT) / "imports"
    if upload_dir.is_dir():
        cutoff = (now - UPLOAD_RETENTION).timestamp()
        for path in upload_dir.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                uploads += 1
    return {"sessions": sessions, "results": results, "uploads": uploads}
