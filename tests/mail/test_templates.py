"""Templates: sandboxed rendering, preview on a real customer, a test send; hostile template
input through the API never makes a server error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenure.mail.models import Message, MessageKind
from tenure.mail.rendering import RenderError, template_render
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

FRAGMENTS = [
    "{{", "}}", "{%", "%}", "{#", "#}", " customer.first_name ", "customer", ".__class__",
    ".__mro__", "__subclasses__()", "cycler.__init__.__globals__", "lipsum.__globals__",
    "'a' * 999999999", "9 ** 9 ** 9", "range(999999999)", "for x in ", "endfor", "if ",
    "endif", "|attr('__class__')", "self", "1/0", "[].pop()", "\x00", "\ud800", "é", "{{ x }}",
    "{% set x = 'a' * 10 %}", "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "|e", "|safe",
    "' ~ '", "(", ")", "[", "]", "'", '"', "\n",
]  # fmt: skip
hostile_source = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=12
).map("".join)


def test_the_sandbox_refuses_python_internals():
    with pytest.raises(RenderError):
        template_render(
            subject="{{ ''.__class__.__mro__[1].__subclasses__() }}", text="x", html="", context={}
        )
    with pytest.raises(RenderError, match="100,000"):
        template_render(subject="x", text="{{ 'a' * 999999999 }}", html="", context={})


def test_html_is_escaped_and_text_is_not():
    rendered = template_render(
        subject="Hi {{ name }}",
        text="{{ name }}",
        html="<p>{{ name }}</p>",
        context={"name": "<b>"},
    )
    assert rendered.text == "<b>" and rendered.html == "<p>&lt;b&gt;</p>"


def test_preview_on_a_real_customer_and_a_test_send(client):
    api = Api(client, role=Role.MANAGER)
    customer = make_customer(first_name="Grace")
    made = api.post(
        "/mail/templates",
        {"name": "Welcome", "subject": "Hi {{ customer.first_name }}", "text": "Hello"},
    )
    assert made.status_code == 201, made.content
    template_id = made.json()["id"]
    preview = api.post(f"/mail/templates/{template_id}/preview", {"customer_id": customer.pk})
    assert preview.status_code == 200
    assert preview.json()["subject"] == "Hi Grace"
    test = api.post(f"/mail/templates/{template_id}/test", {"customer_id": customer.pk})
    assert test.status_code == 201
    message = Message.objects.get(pk=test.json()["id"])
    assert message.kind == MessageKind.TRANSACTIONAL and message.template_id == template_id


def test_a_template_that_does_not_parse_is_refused_in_words(client):
    api = Api(client, role=Role.ADMIN)
    response = api.post("/mail/templates", {"name": "Bad", "subject": "{{", "text": "x"})
    assert response.status_code == 422
    assert "subject" in response.json()["error"]["fields"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(subject=hostile_source, text=hostile_source, html=hostile_source)
def test_hostile_templates_never_make_a_server_error(client, subject, text, html):
    api = Api(client, role=Role.ADMIN)
    customer = make_customer()
    body = {"name": f"T{api.user.pk}", "subject": subject or "s", "text": text or "t", "html": html}
    made = api.post("/mail/templates", body)
    assert made.status_code < 500, made.content
    if made.status_code == 201:
        template_id = made.json()["id"]
        preview = api.post(f"/mail/templates/{template_id}/preview", {"customer_id": customer.pk})
        assert preview.status_code < 500, preview.content
        patch = api.patch(f"/mail/templates/{template_id}", {"html": html + "{{"})
        assert patch.status_code < 500, patch.content
