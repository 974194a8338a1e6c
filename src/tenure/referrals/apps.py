from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tenure.referrals"
    label = "referrals"
    verbose_name = "Referral rewards"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from tenure.events.consumers import consumer_register
        from tenure.jobs.registry import run_kind_register
        from tenure.privacy.signals import person_erasing, person_exporting
        from tenure.referrals import events, following, signals, tasks

        assert events.KINDS  # the kinds register on import
        auditlog.register(self.get_model("ReferralProgram"))  # who changed the rewards
        consumer_register(following.FIRST_ORDERS)
        run_kind_register(tasks.REWARD_KIND)
        person_exporting.connect(signals.on_person_exporting, dispatch_uid="referrals-export")
        person_erasing.connect(signals.on_person_erasing, dispatch_uid="referrals-erase")
