from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "tenure.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from tenure.events.consumers import consumer_register
        from tenure.facts import fact_provider_register
        from tenure.jobs.registry import run_kind_register
        from tenure.loyalty import challenges, events, facts, following, signals, tasks
        from tenure.privacy.signals import person_exporting

        assert events.KINDS  # the kinds register on import
        auditlog.register(self.get_model("LoyaltyProgram"))  # who changed the settings
        auditlog.register(self.get_model("LoyaltyTier"))
        auditlog.register(self.get_model("Challenge"))
        fact_provider_register(facts.PROVIDER)
        fact_provider_register(facts.TIER_PROVIDER)
        consumer_register(following.POINTS)
        consumer_register(following.TIERS)  # after the points: it follows their events
        consumer_register(challenges.FOLLOWER)  # after the points: a bonus is another earn
        run_kind_register(tasks.EXPIRE_KIND)
        run_kind_register(tasks.TIERS_KIND)
        run_kind_register(tasks.RECONCILE_KIND)
        run_kind_register(challenges.RUN_KIND)
        person_exporting.connect(signals.on_person_exporting, dispatch_uid="loyalty-export")
