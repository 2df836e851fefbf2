"""Pages of the standards app: renovation."""

urlpatterns: list = []
