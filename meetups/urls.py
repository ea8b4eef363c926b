"""REST routes of meetups, under /api/v1/ (docs/meetups.md). Each module keeps its own list."""

from django.urls import path

from . import feeds, live_views, qa_views
from .views import urlpatterns as core_urlpatterns

# --- core: places, meetups, support requests, RSVPs (meetups/views.py) -------------------------------
urlpatterns = list(core_urlpatterns)

# --- questions, finishing, summaries (meetups/qa_views.py) ------------------------------------------
urlpatterns += [
    path(
        "meetups/<int:meetup_id>/questions/", qa_views.MeetupQuestionsView.as_view(), name="meetup-questions"
    ),
    path("questions/<int:question_id>/vote/", qa_views.QuestionVoteView.as_view(), name="question-vote"),
    path("questions/<int:question_id>/state/", qa_views.QuestionStateView.as_view(), name="question-state"),
    path("questions/<int:question_id>/", qa_views.QuestionDetailView.as_view(), name="question-detail"),
    path("meetups/<int:meetup_id>/finish/", qa_views.MeetupFinishView.as_view(), name="meetup-finish"),
    path("meetups/<int:meetup_id>/summary/", qa_views.MeetupSummaryView.as_view(), name="meetup-summary"),
    path(
        "meetups/<int:meetup_id>/summary/publish/",
        qa_views.MeetupSummaryPublishView.as_view(),
        name="meetup-summary-publish",
    ),
    path("groups/<slug:slug>/summaries/", qa_views.GroupSummariesView.as_view(), name="group-summaries"),
]

# --- reach: calendar feeds, Atom and JSON feeds (meetups/feeds.py) ----------------------------------
urlpatterns += [
    path("libraries/<slug:slug>/agenda.ics", feeds.LibraryAgendaIcsView.as_view(), name="library-agenda-ics"),
    path("libraries/<slug:slug>/agenda.atom", feeds.LibraryAgendaAtomView.as_view(), name="agenda-atom"),
    path("libraries/<slug:slug>/agenda.json", feeds.LibraryAgendaJsonView.as_view(), name="agenda-json"),
    path("groups/<slug:slug>/meetups.ics", feeds.GroupMeetupsIcsView.as_view(), name="group-meetups-ics"),
    path("calendar/<str:token>.ics", feeds.PrivateCalendarIcsView.as_view(), name="private-calendar-ics"),
    path("me/calendar/", feeds.MyCalendarView.as_view(), name="my-calendar"),
]

# --- live mode, the join code and guests (meetups/live_views.py) -----------------------------------
urlpatterns += [
    path("meetups/<int:meetup_id>/live/start/", live_views.LiveStartView.as_view(), name="meetup-live-start"),
    path("meetups/<int:meetup_id>/live/end/", live_views.LiveEndView.as_view(), name="meetup-live-end"),
    path("meetups/<int:meetup_id>/live/", live_views.LiveSnapshotView.as_view(), name="meetup-live"),
    path("meetups/<int:meetup_id>/qr.svg", live_views.MeetupQrView.as_view(), name="meetup-qr"),
    path("join/<str:code>/", live_views.JoinView.as_view(), name="meetup-join"),
]
