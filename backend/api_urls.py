from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as accounts
from chat import views as chat
from groups import views as groups

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        # Swagger UI (served from this site by drf-spectacular-sidecar) needs one inline script.
        csp_override(
            {
                "default-src": [CSP.SELF],
                "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
                "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
                "img-src": [CSP.SELF, "data:"],
            }
        )(SpectacularSwaggerView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path("me/", accounts.MeView.as_view()),
    path("auth/token/", accounts.TokenCreateView.as_view()),
    path("auth/tokens/", accounts.TokenListView.as_view()),
    path("auth/tokens/<int:token_id>/", accounts.TokenDetailView.as_view()),
    path("libraries/", groups.LibraryListView.as_view()),
    path("libraries/<slug:slug>/", groups.LibraryDetailView.as_view()),
    path("groups/", groups.GroupListView.as_view()),
    path("groups/<slug:slug>/", groups.GroupDetailView.as_view()),
    path("groups/<slug:slug>/join/", groups.GroupJoinView.as_view()),
    path("groups/<slug:slug>/leave/", groups.GroupLeaveView.as_view()),
    path("groups/<slug:slug>/members/", groups.MemberListView.as_view()),
    path("groups/<slug:slug>/members/<int:user_id>/", groups.MemberDetailView.as_view()),
    path("groups/<slug:slug>/members/<int:user_id>/approve/", groups.MemberApproveView.as_view()),
    path("groups/<slug:slug>/threads/", chat.ThreadListView.as_view()),
    path("groups/<slug:slug>/events/", chat.GroupEventsView.as_view()),
    path("threads/<int:thread_id>/", chat.ThreadDetailView.as_view()),
    path("threads/<int:thread_id>/messages/", chat.ThreadMessagesView.as_view()),
    path("threads/<int:thread_id>/read/", chat.ThreadReadView.as_view()),
    path("messages/<int:message_id>/", chat.MessageDetailView.as_view()),
    path("messages/<int:message_id>/reactions/", chat.ReactionsView.as_view()),
    path("messages/<int:message_id>/reactions/<str:emoji>/", chat.ReactionDetailView.as_view()),
    path("moderation/", include("moderation.urls")),
    path("", include("resources.urls")),
    path("", include("meetups.urls")),
    path("", include("notifications.urls")),
]
