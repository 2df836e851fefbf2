"""Services delivered, group sessions with attendance, assistance."""

urlpatterns: list = []
