from django.contrib.auth import views as auth_views
from django.urls import path

from tenure.web.views import (
    accounts,
    analytics,
    customers,
    exports,
    home,
    imports,
    lifecycle,
    lifecycle_definition,
    orders,
    password,
    playbooks,
    privacy,
    tasks,
    team,
    tokens,
)

app_name = "web"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", password.password_change, name="password-change"),
    path("", home.home, name="home"),
    path("analytics/", analytics.analytics, name="analytics"),
    path("analytics/refit/", analytics.analytics_refit, name="analytics-refit"),
    path("lifecycle/", lifecycle.lifecycle, name="lifecycle"),
    path("lifecycle/recompute/", lifecycle.lifecycle_recompute, name="lifecycle-recompute"),
    path("lifecycle/stages/<slug:key>/", lifecycle.lifecycle_stage, name="lifecycle-stage"),
    path("lifecycle/at-risk/", lifecycle.at_risk, name="lifecycle-at-risk"),
    path(
        "lifecycle/at-risk/<int:customer_id>/follow-up/",
        lifecycle.follow_up_create,
        name="lifecycle-follow-up",
    ),
    path(
        "lifecycle/health/backtest/",
        lifecycle.health_backtest_create,
        name="lifecycle-health-backtest",
    ),
    path(
        "lifecycle/health/backtests/<int:run_id>/adopt/",
        lifecycle.health_adopt,
        name="lifecycle-health-adopt",
    ),
    path("lifecycle/health/reset/", lifecycle.health_reset, name="lifecycle-health-reset"),
    path("lifecycle/churn-audit/", lifecycle.churn_audit, name="lifecycle-churn-audit"),
    path("lifecycle/churn-audit.csv", lifecycle.churn_audit_csv, name="lifecycle-churn-audit-csv"),
    path(
        "lifecycle/definition/",
        lifecycle_definition.lifecycle_definition,
        name="lifecycle-definition",
    ),
    path(
        "lifecycle/definition/<int:definition_id>/activate/",
        lifecycle_definition.lifecycle_definition_activate,
        name="lifecycle-definition-activate",
    ),
    path("playbooks/", playbooks.playbooks, name="playbooks"),
    path("playbooks/new/", playbooks.playbook_edit, name="playbook-new"),
    path("playbooks/<int:playbook_id>/", playbooks.playbook, name="playbook"),
    path("playbooks/<int:playbook_id>/edit/", playbooks.playbook_edit, name="playbook-edit"),
    path("playbooks/<int:playbook_id>/switch/", playbooks.playbook_switch, name="playbook-switch"),
    path("tasks/", tasks.tasks, name="tasks"),
    path("tasks/<int:task_id>/", tasks.task, name="task"),
    path("tasks/<int:task_id>/status/", tasks.task_status, name="task-status"),
    path("tasks/<int:task_id>/comments/", tasks.task_comment, name="task-comment"),
    path("customers/", customers.customers, name="customers"),
    path("customers/export.csv", exports.customers_csv, name="customers-csv"),
    path("customers/orders.csv", exports.customer_orders_csv, name="customer-orders-csv"),
    path("customers/<int:customer_id>/", customers.customer, name="customer"),
    path(
        "customers/<int:customer_id>/timeline/",
        customers.customer_timeline_page,
        name="customer-timeline",
    ),
    path(
        "customers/<int:customer_id>/interactions/",
        customers.interaction_create,
        name="interaction-create",
    ),
    path(
        "customers/<int:customer_id>/personal-data.json",
        privacy.personal_data_export,
        name="personal-data-export",
    ),
    path(
        "customers/<int:customer_id>/erase/",
        privacy.personal_data_erase,
        name="personal-data-erase",
    ),
    path("accounts/", accounts.accounts, name="accounts"),
    path("accounts/<int:account_id>/", accounts.account, name="account"),
    path("orders/<int:order_id>/", orders.order, name="order"),
    path("imports/", imports.import_new, name="imports"),
    path("imports/<int:job_id>/", imports.import_job, name="import"),
    path("imports/<int:job_id>/progress/", imports.import_progress, name="import-progress"),
    path("tokens/", tokens.api_tokens, name="api-tokens"),
    path("tokens/<int:token_id>/revoke/", tokens.api_token_revoke_page, name="api-token-revoke"),
    path("team/", team.team, name="team"),
    path("team/<int:user_id>/role/", team.team_member_role, name="team-member-role"),
    path("team/<int:user_id>/active/", team.team_member_active, name="team-member-active"),
]
