"""Pages of the standards app: assessments."""

urlpatterns: list = []
