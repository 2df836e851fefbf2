"""Pages of the standards app: actions."""

urlpatterns: list = []
