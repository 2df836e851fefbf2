"""Pages of the facilities app."""

app_name = "facilities"

urlpatterns: list = []
