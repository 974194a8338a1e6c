"""Names and emails: everyone edits their own ("Your profile", in the user menu beside the
password), an admin any team member's from the Team page; both through
``users.services.user_update_profile``, which keeps emails unique and records the change in the
change history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tenure.access import require
from tenure.domain.access import Action
from tenure.users.forms import ProfileForm
from tenure.users.models import User
from tenure.users.services import PROFILE_FIELDS, user_update_profile
from tenure.web.views._render import errors_onto_form, signed_in_user


def _profile_form(request: HttpRequest, *, by: User, member: User, done: str) -> HttpResponse:
    """The form of ``member``'s name and email, saved by ``by``; back to ``done`` once saved."""
    own = member.pk == by.pk
    initial = {name: getattr(member, name) for name in PROFILE_FIELDS}
    form = ProfileForm(request.POST or None, initial=initial)
    if not own:  # another person's details: the browser's own suggestions would be wrong
        for field in form.fields.values():
            field.widget.attrs["autocomplete"] = "off"
    if request.method == "POST" and form.is_valid():
        try:
            user_update_profile(by=by, user_id=member.pk, changes=form.cleaned_data)
        except ValidationError as error:
            errors_onto_form(form, error)
        else:
            saved = "Your name and email were saved." if own else f"{member.username} was saved."
            messages.success(request, saved)
            return redirect(done)
    context = {
        "form": form,
        "member": member,
        "own": own,
        "section": "profile" if own else "team",
        "cancel": reverse("web:home") if own else reverse("web:team"),
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "web/team/profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """One's own name and email: every role."""
    user = signed_in_user(request)
    return _profile_form(request, by=user, member=user, done=reverse("web:profile"))


@login_required
@require_http_methods(["GET", "POST"])
def team_member_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    """A team member's name and email, from the Team page: admins only (403 otherwise)."""
    user = signed_in_user(request)
    require(user, Action.ADMINISTER)
    member = get_object_or_404(User, pk=user_id)
    return _profile_form(request, by=user, member=member, done=reverse("web:team"))
