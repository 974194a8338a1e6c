"""The import page: upload a CSV, then watch the background job's progress."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from tenure.access import may, require
from tenure.domain.access import Action
from tenure.domain.records import ImportFileError
from tenure.transfer.models import ImportJob, ImportStatus
from tenure.transfer.selectors import import_job_get, import_job_list
from tenure.transfer.services import import_job_start
from tenure.web.forms import IMPORT_FIELDS, ImportForm
from tenure.web.views._render import signed_in_user

RECENT_JOBS = 10
REJECTS_SHOWN = 200

# The jobs are read here rather than through a selector: tenure.transfer (another room) has no
# job selector yet, and a job is one row by id.


@login_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        require(user, Action.CHANGE)  # an import writes records: an analyst is refused (403)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_start(
                user=user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                column_map=form.cleaned_data["column_map"],
            )
        except ImportFileError as error:  # the header is checked before the job is queued
            form.add_error("file", f"This file cannot be imported: {error.reason}.")
        else:
            return redirect("web:import", job_id=job.pk)
    context = {
        "form": form,
        "may_change": may(user, Action.CHANGE),
        "fields": IMPORT_FIELDS,
        "jobs": import_job_list(user=user, limit=RECENT_JOBS),
        "section": "imports",
    }
    return render(request, "web/imports/new.html", context)


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    try:
        return import_job_get(user=request.user, job_id=job_id)
    except ImportJob.DoesNotExist as error:
        raise Http404("no such import") from error


def _job_context(job: ImportJob) -> dict[str, object]:
    return {
        "job": job,
        "running": job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
        "rejects": job.rejects[:REJECTS_SHOWN],
        "section": "imports",
    }


@login_required
@require_GET
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    return render(request, "web/imports/detail.html", _job_context(_job(request, job_id)))


@login_required
@require_GET
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress card alone, polled every second by htmx until the job has finished."""
    return render(request, "web/imports/_progress.html", _job_context(_job(request, job_id)))
