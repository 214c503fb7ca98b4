"""Configuración pages (owners): members, policy and limits, API keys, webhooks."""

from django.urls import path

from sozu.orgs import settings_views as v

app_name = "config"

urlpatterns = [
    path("configuracion/equipo/", v.config_members, name="members"),
    path("configuracion/equipo/invitar/", v.config_member_invite, name="member-invite"),
    path("configuracion/equipo/<int:membership_id>/rol/", v.config_member_role, name="member-role"),
    path(
        "configuracion/equipo/<int:membership_id>/quitar/",
        v.config_member_remove,
        name="member-remove",
    ),
    path("configuracion/politica/", v.config_policy, name="policy"),
    path("configuracion/politica/guardar/", v.config_policy_save, name="policy-save"),
    path("configuracion/api/", v.config_apikeys, name="apikeys"),
    path("configuracion/api/nueva/", v.config_apikey_create, name="apikey-create"),
    path("configuracion/api/<int:key_id>/revocar/", v.config_apikey_revoke, name="apikey-revoke"),
    path("configuracion/webhooks/", v.config_webhooks, name="webhooks"),
    path("configuracion/webhooks/nuevo/", v.config_webhook_create, name="webhook-create"),
    path(
        "configuracion/webhooks/<int:endpoint_id>/desactivar/",
        v.config_webhook_disable,
        name="webhook-disable",
    ),
    path(
        "configuracion/webhooks/<int:endpoint_id>/activar/",
        v.config_webhook_enable,
        name="webhook-enable",
    ),
    path(
        "configuracion/webhooks/<int:endpoint_id>/rotar-secreto/",
        v.config_webhook_rotate,
        name="webhook-rotate",
    ),
]
