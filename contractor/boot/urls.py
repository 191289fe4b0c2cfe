"""Routes of the boot endpoints, mounted at /boot/ (the URLs iPXE scripts and installers are given).

A machine being built reaches its own endpoints only below the boot token of the job building it
(contractor.boot.selectors.boot_token), which the PXE plan hands its DHCP server; /boot/script/?mac= is the
discovery image's, for machines nothing is built on.
"""

from django.urls import path

from contractor.boot import views

urlpatterns = [
    path("files/<path:relative>", views.boot_file, name="boot-file"),
    path("script/", views.discovery_boot_script, name="boot-discovery-script"),
    path("discovery/", views.boot_discovery, name="boot-discovery"),
    path("<str:boot_token>/script/", views.boot_script, name="boot-script"),
    path("<str:boot_token>/template/", views.boot_template, name="boot-template"),
    path("<str:boot_token>/config/", views.boot_config, name="boot-config"),
    path("<str:boot_token>/signal/", views.boot_signal, name="boot-signal"),
]
