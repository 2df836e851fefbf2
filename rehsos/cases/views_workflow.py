"""Opening, editing, assigning, stage moves, closing and reopening a case; termination;
transfers."""

urlpatterns: list = []
