"""The dashboard shell: the site root and Inicio."""

from django.urls import path

from sozu.web import views

app_name = "web"

urlpatterns = [
    path("inicio/", views.home, name="home"),
]
