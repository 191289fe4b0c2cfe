"""Routes of the boot endpoints, mounted at /boot/ (the URLs iPXE scripts and installers are given)."""

from django.urls import path

from contractor.boot import views

urlpatterns = [
    path("files/<path:relative>", views.boot_file, name="boot-file"),
    path("script/", views.boot_script, name="boot-script"),
    path("template/", views.boot_template, name="boot-template"),
    path("config/", views.boot_config, name="boot-config"),
    path("signal/", views.boot_signal, name="boot-signal"),
    path("discovery/", views.boot_discovery, name="boot-discovery"),
    path("<uuid:config_uuid>/script/", views.boot_script, name="boot-uuid-script"),
    path("<uuid:config_uuid>/template/", views.boot_template, name="boot-uuid-template"),
    path("<uuid:config_uuid>/config/", views.boot_config, name="boot-uuid-config"),
    path("<uuid:config_uuid>/signal/", views.boot_signal, name="boot-uuid-signal"),
]
