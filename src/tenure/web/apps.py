from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tenure.web"
    label = "web"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from tenure.config.sessions import session_stamp_login

        # A signed-in session's idle and absolute limits count from the login.
        user_logged_in.connect(session_stamp_login, dispatch_uid="tenure-session-stamp")
