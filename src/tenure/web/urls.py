from django.contrib.auth import views as auth_views
from django.urls import path

from tenure.web.views import accounts, customers, home, imports, orders, privacy

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
    path("", home.home, name="home"),
    path("customers/", customers.customers, name="customers"),
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
]
