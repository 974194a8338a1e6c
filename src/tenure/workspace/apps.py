from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "tenure.workspace"
    label = "workspace"
    verbose_name = "Workspace"
