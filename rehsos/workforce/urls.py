"""Pages of the workforce app."""

app_name = "workforce"

urlpatterns: list = []
