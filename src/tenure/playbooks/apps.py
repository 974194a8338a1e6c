from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlaybooksConfig(AppConfig):
    name = "tenure.playbooks"
    label = "playbooks"
    verbose_name = "Playbooks"

    def ready(self) -> None:
        from tenure.events.consumers import consumer_register, follower_register
        from tenure.jobs.registry import run_kind_register
        from tenure.playbooks import app_steps, builtin, steps, survey_steps, tasks, triggers

        steps.builtin_executors_register()
        app_steps.app_steps_register()
        survey_steps.survey_steps_register()  # ask a promoter for a review or a referral
        consumer_register(triggers.TRIGGERS)
        follower_register("playbooks.steps", tasks.steps_follow)
        run_kind_register(tasks.DAILY_KIND)
        post_migrate.connect(
            builtin.on_post_migrate, sender=self, dispatch_uid="tenure-playbooks-builtin"
        )
