"""Pages of the standards app: catalogue."""

urlpatterns: list = []
