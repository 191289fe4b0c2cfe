"""URLs of the web console, mounted at /console/."""

from django.urls import path

from contractor.console import jobs, objects, views

app_name = "console"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("sites/", views.SiteTreeView.as_view(), name="sites"),
    path("sites/<str:name>/graph/", views.GraphView.as_view(), name="graph"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("foundations/", objects.FoundationListView.as_view(), name="foundations"),
    path("foundations/<str:locator>/", objects.FoundationView.as_view(), name="foundation"),
    path("foundations/<str:locator>/jobs/", objects.JobStartView.as_view(), name="foundation-jobs"),
    path("structures/", objects.StructureListView.as_view(), name="structures"),
    path("structures/<int:pk>/", objects.StructureView.as_view(), name="structure"),
    path("structures/<int:pk>/jobs/", objects.JobStartView.as_view(), name="structure-jobs"),
    path("jobs/", jobs.JobListView.as_view(), name="jobs"),
    path("jobs/<int:pk>/", jobs.JobView.as_view(), name="job"),
    path("jobs/<int:pk>/feed/", jobs.JobFeedView.as_view(), name="job-feed"),
    path("jobs/<int:pk>/<str:action>/", jobs.JobActionView.as_view(), name="job-action"),
]
