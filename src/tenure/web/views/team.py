"""The team: admins list the team members, create them, change their roles and deactivate or
reactivate them (their names and emails: ``views/profile.py``). Everyone else is refused (403).
The services record every change in the change history and keep at least one active admin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tenure.access import may, require
from tenure.domain.access import Action
from tenure.users.models import User
from tenure.users.selectors import team_list
from tenure.users.services import user_create, user_set_active, user_update_role
from tenure.web.forms import RoleForm, TeamMemberForm
from tenure.web.views._render import errors_onto_form, signed_in_user


@login_required
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.ADMINISTER)
    form = TeamMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = user_create(by=user, **form.cleaned_data)
        except ValidationError as error:
            errors_onto_form(form, error)
        else:
            messages.success(
                request, f"{member.username} joined the team as {member.get_role_display()}."
            )
            return redirect("web:team")
    context = {
        "members": team_list(user=user),
        "form": form,
        "role_form": RoleForm(),
        "section": "team",
    }
    return render(request, "web/team/list.html", context)


def _member_changed(request: HttpRequest, user: User, member: User, what: str) -> HttpResponse:
    messages.success(request, f"{member.username} {what}.")
    if not may(user, Action.ADMINISTER):  # an admin who gave up the role may not stay here
        return redirect("web:home")
    return redirect("web:team")


def _refused(request: HttpRequest, error: ValidationError) -> HttpResponse:
    messages.error(request, " ".join(error.messages))
    return redirect("web:team")


@login_required
@require_POST
def team_member_role(request: HttpRequest, user_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.ADMINISTER)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _refused(request, ValidationError("Choose one of the roles."))
    try:
        member = user_update_role(by=user, user_id=user_id, role=form.cleaned_data["role"])
    except User.DoesNotExist as missing:
        raise Http404("No such team member.") from missing
    except ValidationError as error:
        return _refused(request, error)
    user.refresh_from_db()
    return _member_changed(request, user, member, f"is now {member.get_role_display()}")


@login_required
@require_POST
def team_member_active(request: HttpRequest, user_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.ADMINISTER)
    active = request.POST.get("active") == "1"
    try:
        member = user_set_active(by=user, user_id=user_id, active=active)
    except User.DoesNotExist as missing:
        raise Http404("No such team member.") from missing
    except ValidationError as error:
        return _refused(request, error)
    user.refresh_from_db()
    return _member_changed(
        request, user, member, "can log in again" if active else "is deactivated: no login, no API"
    )
