"""The import wizard: upload a CSV, choose which column gives which field, preview the rows
as they will be read (each problem on its cell), run it in the background and follow it, then
download the rejected rows, see the records it touched, or revert it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenure.access import may, require
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.domain.records import ImportFileError
from tenure.transfer.mapping import KIND_FIELDS
from tenure.transfer.models import ImportJob, ImportKind, ImportStatus, ImportUpload
from tenure.transfer.preview import import_preview
from tenure.transfer.revert import (
    import_revert_allowed,
    import_revert_pending,
    import_revert_start,
)
from tenure.transfer.selectors import (
    import_job_get,
    import_job_list,
    import_records,
    import_rejects_path,
    import_sources,
    import_upload_get,
)
from tenure.transfer.wizard import import_upload_keep, import_upload_map, import_upload_run
from tenure.web.import_forms import ImportMappingForm, ImportUploadForm
from tenure.web.views._render import errors_onto_form, signed_in_user

RECENT_JOBS = 10
REJECTS_SHOWN = 200


@login_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        require(user, Action.CHANGE)  # an import writes records: an analyst is refused (403)
    asked = request.GET.get("kind", "")  # a list's empty state opens the page on its kind
    initial = {"kind": asked} if asked in ImportKind.values else {}
    form = ImportUploadForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                upload = import_upload_keep(
                    by=user,
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                    source_name=form.cleaned_data["source"],
                )
            except ValidationError as error:
                errors_onto_form(form, error)
            else:
                return redirect("web:import-map", upload_id=upload.pk)
        status = 422
    context = {
        "form": form,
        "may_change": may(user, Action.CHANGE),
        "fields": {kind: spec.fields for kind, spec in KIND_FIELDS.items()},
        "jobs": import_job_list(user=user, limit=RECENT_JOBS),
        "sources": import_sources(),
        "section": "imports",
    }
    return render(request, "web/imports/new.html", context, status=status)


def _upload(request: HttpRequest, upload_id: int) -> ImportUpload:
    try:
        return import_upload_get(user=request.user, upload_id=upload_id)
    except ImportUpload.DoesNotExist as error:
        raise Http404("no such upload") from error


@login_required
@require_http_methods(["GET", "POST"])
def import_map(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Step 2: a select per field listing the file's columns, pre-filled."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)
    upload = _upload(request, upload_id)
    if hasattr(upload, "job"):
        return redirect("web:import", job_id=upload.job.pk)
    form = ImportMappingForm(request.POST or None, upload=upload)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                import_upload_map(
                    by=user,
                    upload_id=upload.pk,
                    fields=form.chosen(),
                    attributes=form.cleaned_data.get("attributes", []),
                    source_name=form.cleaned_data["source"],
                )
            except ValidationError as error:
                errors_onto_form(form, _on_selects(error))
            else:
                return redirect("web:import-preview", upload_id=upload.pk)
        status = 422
    context = {"upload": upload, "form": form, "section": "imports"}
    return render(request, "web/imports/map.html", context, status=status)


def _on_selects(error: ValidationError) -> ValidationError:
    """A service's errors by field, put on the field's select (``field_<name>``)."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {
            (name if name in ("__all__", "source") else f"field_{name}"): messages
            for name, messages in error.message_dict.items()
        }
    )


@login_required
@require_GET
def import_preview_page(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Step 3: the first rows as read, problems on their cells, the whole file's counts."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)
    upload = _upload(request, upload_id)
    if hasattr(upload, "job"):
        return redirect("web:import", job_id=upload.job.pk)
    if not upload.mapped:
        return redirect("web:import-map", upload_id=upload.pk)
    try:
        preview = import_preview(upload=upload)
    except (ImportFileError, OSError) as error:
        reason = error.reason if isinstance(error, ImportFileError) else "the file is gone"
        context = {"upload": upload, "problem": reason, "section": "imports"}
        return render(request, "web/imports/preview.html", context, status=422)
    context = {"upload": upload, "preview": preview, "section": "imports"}
    return render(request, "web/imports/preview.html", context)


@login_required
@require_POST
def import_run(request: HttpRequest, upload_id: int) -> HttpResponse:
    """Step 4: queue the import; the job's page follows it."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)
    upload = _upload(request, upload_id)
    try:
        job = import_upload_run(by=user, upload_id=upload.pk)
    except ValidationError:
        return redirect("web:import-map", upload_id=upload.pk)
    return redirect("web:import", job_id=job.pk)


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    try:
        return import_job_get(user=request.user, job_id=job_id)
    except ImportJob.DoesNotExist as error:
        raise Http404("no such import") from error


def _job_context(request: HttpRequest, job: ImportJob) -> dict[str, object]:
    reverting = job.reverted_at is None and import_revert_pending(job_id=job.pk) is not None
    return {
        "job": job,
        "running": job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING) or reverting,
        "reverting": reverting,
        "rejects": job.rejects[:REJECTS_SHOWN],
        "may_revert": import_revert_allowed(by=request.user, job=job),
        "section": "imports",
    }


@login_required
@require_GET
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    return render(request, "web/imports/detail.html", _job_context(request, job))


@login_required
@require_GET
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress card alone, polled every second by htmx until the job has finished."""
    job = _job(request, job_id)
    return render(request, "web/imports/_progress.html", _job_context(request, job))


@login_required
@require_GET
def import_rejects(request: HttpRequest, job_id: int) -> FileResponse:
    """The rejected rows as they came, with an ``error`` column (formula-neutralised)."""
    job = _job(request, job_id)
    path = import_rejects_path(job=job)
    if path is None:
        raise Http404("this import kept no rejected rows")
    name = f"{job.file_name.removesuffix('.csv')}-rejects.csv"
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,
        filename=name,
        content_type="text/csv; charset=utf-8",
    )


@login_required
@require_GET
def import_records_page(request: HttpRequest, job_id: int) -> HttpResponse:
    """The records the import created or changed, among those the user may see."""
    job = _job(request, job_id)
    records = import_records(user=signed_in_user(request), job=job)
    context = {"job": job, "records": records, "section": "imports"}
    return render(request, "web/imports/records.html", context)


@login_required
@require_POST
def import_revert_page(request: HttpRequest, job_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.CHANGE)  # an analyst is refused before anything is read (403)
    job = _job(request, job_id)
    try:
        _run, asked = import_revert_start(by=user, job_id=job.pk)
    except Conflict as error:
        context = {**_job_context(request, job), "revert_problem": str(error)}
        return render(request, "web/imports/detail.html", context, status=409)
    messages.success(
        request,
        "Reverting the import in the background: this page shows the outcome when it is done."
        if asked
        else "The revert is under way already.",
    )
    return redirect("web:import", job_id=job.pk)
