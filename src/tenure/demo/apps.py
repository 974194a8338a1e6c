from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tenure.demo"
    label = "demo"

    def ready(self) -> None:
        from tenure.demo.tasks import DEMO_LOAD_KIND
        from tenure.jobs.registry import run_kind_register

        run_kind_register(DEMO_LOAD_KIND)
