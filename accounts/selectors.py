from django.db.models import QuerySet

from .models import ApiToken, User


def user_briefs(*, user_ids: list[int]) -> list[dict]:
    """`{id, display_name}` for active users, in the order of the ids given."""
    names = dict(User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", "display_name"))
    return [{"id": pk, "display_name": names[pk]} for pk in user_ids if pk in names]


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)
