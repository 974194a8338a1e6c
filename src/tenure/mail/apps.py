from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MailConfig(AppConfig):
    name = "tenure.mail"
    label = "mail"
    verbose_name = "Email"

    def ready(self) -> None:
        from tenure.events.consumers import follower_register
        from tenure.facts import fact_provider_register
        from tenure.mail import events  # noqa: F401  (registers the kinds)
        from tenure.mail.facts import PROVIDER
        from tenure.mail.sending import mail_send_due

        fact_provider_register(PROVIDER)
        follower_register("mail.send", lambda: mail_send_due().handled)

        from tenure.jobs.registry import run_kind_register
        from tenure.mail import tasks

        follower_register("mail.broadcasts", tasks.broadcasts_follow)
        run_kind_register(tasks.BROADCASTS_KIND)

        from tenure.mail import signals
        from tenure.privacy.signals import person_erasing, person_exporting

        person_exporting.connect(signals.on_person_exporting, dispatch_uid="mail-export")
        person_erasing.connect(signals.on_person_erasing, dispatch_uid="mail-erase")

        from tenure.mail import builtin

        post_migrate.connect(builtin.on_post_migrate, sender=self, dispatch_uid="mail-builtin")
