"""Pages reached from inside a message or a customer's link, without an account: signed
tokens or unguessable codes, no login."""

from django.urls import path

from tenure.web.views import loyalty_public, mail_public, referrals, survey_public, voice_public

app_name = "public"

urlpatterns = [
    path("u/<str:token>", mail_public.unsubscribe, name="unsubscribe"),
    path("m/o/<str:token>", mail_public.opened, name="mail-opened"),
    path("m/c/<str:token>", mail_public.clicked, name="mail-clicked"),
    path("s/<str:token>/", survey_public.survey_answer_page, name="survey-answer"),
    path("f/<str:slug>/", voice_public.feedback_form_page, name="feedback-form-answer"),
    path("r/<str:code>/", referrals.referral_link, name="referral-link"),
    path("p/<str:token>/", loyalty_public.points_page_public, name="points-page"),
]
