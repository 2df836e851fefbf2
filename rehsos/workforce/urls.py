"""/workforce/: the overview, staff, trainings and overseas internships (namespace
``workforce``)."""

from rehsos.workforce import views_home, views_internships, views_staff, views_trainings

app_name = "workforce"

urlpatterns = [
    *views_home.urlpatterns,
    *views_staff.urlpatterns,
    *views_trainings.urlpatterns,
    *views_internships.urlpatterns,
]
