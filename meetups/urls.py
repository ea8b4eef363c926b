"""REST routes of meetups, under /api/v1/ (docs/meetups.md). Each module keeps its own list."""

urlpatterns: list = []
