from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "tenure.rewards"
    label = "rewards"
    verbose_name = "Rewards and coupons"

    def ready(self) -> None:
        from tenure.events.consumers import consumer_register
        from tenure.privacy.signals import person_erasing, person_exporting
        from tenure.rewards import events, following, signals

        assert events.KINDS  # the kinds register on import
        consumer_register(following.RELEASES)
        person_exporting.connect(signals.on_person_exporting, dispatch_uid="rewards-export")
        person_erasing.connect(signals.on_person_erasing, dispatch_uid="rewards-erase")
