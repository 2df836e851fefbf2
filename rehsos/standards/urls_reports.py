"""Pages of the standards app: reports."""

urlpatterns: list = []
