from django.urls import path

from . import views

urlpatterns = [
    path("messages/<int:message_id>/hide/", views.MessageHideView.as_view()),
    path("messages/<int:message_id>/remove/", views.MessageRemoveView.as_view()),
    path("messages/<int:message_id>/pin/", views.MessagePinView.as_view()),
    path("threads/<int:thread_id>/lock/", views.ThreadLockView.as_view()),
    path("groups/<slug:slug>/slow-mode/", views.SlowModeView.as_view()),
    path("groups/<slug:slug>/sanctions/", views.SanctionListView.as_view()),
    path("groups/<slug:slug>/state/", views.GroupStateView.as_view()),
    path("groups/<slug:slug>/members/<int:user_id>/mute/", views.MuteView.as_view()),
    path("groups/<slug:slug>/members/<int:user_id>/ban/", views.BanView.as_view()),
    path("groups/<slug:slug>/members/<int:user_id>/kick/", views.KickView.as_view()),
    path("libraries/<slug:slug>/audit/", views.AuditLogView.as_view()),
    path("libraries/<slug:slug>/reports/", views.ReportQueueView.as_view()),
    path("messages/<int:message_id>/report/", views.MessageReportView.as_view()),
    path("reports/<int:report_id>/claim/", views.ReportClaimView.as_view()),
    path("messages/<int:message_id>/approve/", views.MessageApproveView.as_view()),
    path("messages/<int:message_id>/reject/", views.MessageRejectView.as_view()),
    path("libraries/<slug:slug>/held/", views.HeldMessagesView.as_view()),
    path("libraries/<slug:slug>/word-filters/", views.WordFilterListView.as_view()),
    path("libraries/<slug:slug>/word-filters/<int:entry_id>/", views.WordFilterDetailView.as_view()),
    path("libraries/<slug:slug>/settings/", views.LibrarySettingsView.as_view()),
    path("libraries/<slug:slug>/guidelines/", views.GuidelinesView.as_view()),
    path("appeals/", views.AppealListView.as_view()),
    path("appeals/<int:appeal_id>/decide/", views.AppealDecideView.as_view()),
    path("reports/<int:report_id>/resolve/", views.ReportResolveView.as_view()),
]
