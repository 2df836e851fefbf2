"""Pages of the standards app: equipment."""

urlpatterns: list = []
