from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import (
    apikeys,
    board,
    bulk,
    calls,
    home,
    lead_detail,
    leads,
    pipelines,
    reports,
    routing,
    saved_views,
    tasks,
    webhooks,
)

sales_pages = (
    [
        path("", home.home, name="home"),
        path("leads/", leads.lead_list, name="lead_list"),
        path("leads/new/", leads.lead_new, name="lead_new"),
        path("leads/export.csv", leads.lead_export, name="lead_export"),
        path("leads/bulk/", bulk.lead_bulk, name="lead_bulk"),
        path("leads/bulk/<str:token>/", bulk.lead_bulk_confirm, name="lead_bulk_confirm"),
        path("leads/views/", saved_views.saved_view_list, name="saved_view_list"),
        path("leads/views/new/", saved_views.saved_view_save, name="saved_view_save"),
        path("leads/views/<int:view_id>/", saved_views.saved_view_open, name="saved_view_open"),
        path(
            "leads/views/<int:view_id>/rename/",
            saved_views.saved_view_rename_view,
            name="saved_view_rename",
        ),
        path(
            "leads/views/<int:view_id>/share/",
            saved_views.saved_view_share_view,
            name="saved_view_share",
        ),
        path(
            "leads/views/<int:view_id>/delete/",
            saved_views.saved_view_delete_view,
            name="saved_view_delete",
        ),
        path("leads/<uuid:lead_id>/", lead_detail.lead_detail, name="lead_detail"),
        path("leads/<uuid:lead_id>/edit/", leads.lead_edit, name="lead_edit"),
        path("leads/<uuid:lead_id>/delete/", leads.lead_delete_view, name="lead_delete"),
        path("leads/<uuid:lead_id>/calls/", lead_detail.lead_log_call, name="lead_log_call"),
        path("leads/<uuid:lead_id>/notes/", lead_detail.lead_note, name="lead_note"),
        path("leads/<uuid:lead_id>/status/", lead_detail.lead_status, name="lead_status"),
        path("leads/<uuid:lead_id>/tasks/", tasks.lead_task_add, name="lead_task_add"),
        path("tasks/<uuid:task_id>/edit/", tasks.task_edit, name="task_edit"),
        path("tasks/<uuid:task_id>/done/", tasks.task_done, name="task_done"),
        path("tasks/<uuid:task_id>/snooze/", tasks.task_snooze, name="task_snooze"),
        path("tasks/<uuid:task_id>/delete/", tasks.task_delete_view, name="task_delete"),
        path("calls/", calls.call_list, name="call_list"),
        path("calls/log/", tasks.call_log_quick, name="call_log_quick"),
        path("pipeline/", board.board, name="board"),
        path("pipeline/move/", board.board_move, name="board_move"),
        path("reports/", reports.reports, name="reports"),
        path("reports/<str:report>.csv", reports.report_csv, name="report_csv"),
    ],
    "ui",
)

# Settings → Integrations → API
apikey_pages = (
    [
        path("", apikeys.apikey_list, name="list"),
        path("new/", apikeys.apikey_new, name="new"),
        path("<int:key_id>/created/", apikeys.apikey_created, name="created"),
        path("<int:key_id>/edit/", apikeys.apikey_edit, name="edit"),
        path("<int:key_id>/regenerate/", apikeys.apikey_regenerate_view, name="regenerate"),
        path("<int:key_id>/revoke/", apikeys.apikey_revoke_view, name="revoke"),
    ],
    "apikeys",
)

# Settings → Integrations → Webhooks
webhook_pages = (
    [
        path("", webhooks.webhook_list, name="list"),
        path("new/", webhooks.webhook_new, name="new"),
        path("<uuid:subscription_id>/secret/", webhooks.webhook_secret, name="secret"),
        path("<uuid:subscription_id>/edit/", webhooks.webhook_edit, name="edit"),
        path("<uuid:subscription_id>/enable/", webhooks.webhook_enable, name="enable"),
        path("<uuid:subscription_id>/rotate-secret/", webhooks.webhook_rotate, name="rotate"),
        path("<uuid:subscription_id>/test/", webhooks.webhook_test, name="test"),
        path("<uuid:subscription_id>/delete/", webhooks.webhook_delete_view, name="delete"),
        path(
            "<uuid:subscription_id>/deliveries/",
            webhooks.webhook_deliveries,
            name="deliveries",
        ),
        path(
            "<uuid:subscription_id>/deliveries/<uuid:message_id>/resend/",
            webhooks.webhook_resend_view,
            name="resend",
        ),
    ],
    "webhooks",
)

# Settings → Pipelines (admins)
pipeline_pages = (
    [
        path("", pipelines.pipeline_list, name="list"),
        path("new/", pipelines.pipeline_new, name="new"),
        path("<uuid:pipeline_id>/edit/", pipelines.pipeline_edit, name="edit"),
        path("<uuid:pipeline_id>/archive/", pipelines.pipeline_archive_view, name="archive"),
        path("<uuid:pipeline_id>/stages/new/", pipelines.stage_new, name="stage_new"),
        path("stages/<uuid:stage_id>/edit/", pipelines.stage_edit, name="stage_edit"),
        path("stages/<uuid:stage_id>/move/", pipelines.stage_move_view, name="stage_move"),
        path("stages/<uuid:stage_id>/archive/", pipelines.stage_archive_view, name="stage_archive"),
    ],
    "pipelines",
)

# Settings → Routing (admins)
routing_pages = (
    [
        path("", routing.routing_list, name="list"),
        path("new/", routing.routing_new, name="new"),
        path("<int:rule_id>/edit/", routing.routing_edit, name="edit"),
        path("<int:rule_id>/move/", routing.routing_move, name="move"),
        path("<int:rule_id>/delete/", routing.routing_delete, name="delete"),
    ],
    "routing",
)

urlpatterns = [
    # Failed logins are counted and locked out by django-axes (see settings).
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/integrations/api/", include(apikey_pages)),
    path("settings/integrations/webhooks/", include(webhook_pages)),
    path("settings/pipelines/", include(pipeline_pages)),
    path("settings/routing/", include(routing_pages)),
    path("", include(sales_pages)),
]
