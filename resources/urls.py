from django.urls import path

from . import views

urlpatterns = [
    path("resources/resolve/", views.ResourceResolveView.as_view()),
    path("resources/<int:resource_id>/", views.ResourceDetailView.as_view()),
    path("resources/<int:resource_id>/jsonld/", views.ResourceJsonLdView.as_view()),
    path("resources/<int:resource_id>/image/", views.ResourceImageView.as_view()),
    path("messages/<int:message_id>/resources/", views.MessageResourcesView.as_view()),
    path("messages/<int:message_id>/resources/<int:resource_id>/", views.MessageResourceDetailView.as_view()),
    path("threads/<int:thread_id>/resources/", views.ThreadResourcesView.as_view()),
    path("threads/<int:thread_id>/resources/<int:resource_id>/", views.ThreadResourceDetailView.as_view()),
    path("threads/<int:thread_id>/suggestions/", views.ThreadSuggestionsView.as_view()),
    path("threads/<int:thread_id>/suggestions/<int:resource_id>/add/", views.SuggestionAddView.as_view()),
    path(
        "threads/<int:thread_id>/suggestions/<int:resource_id>/dismiss/",
        views.SuggestionDismissView.as_view(),
    ),
    path("groups/<slug:slug>/collection/", views.CollectionView.as_view()),
    path("groups/<slug:slug>/collection/order/", views.CollectionOrderView.as_view()),
    path("groups/<slug:slug>/collection/<int:item_id>/", views.CollectionItemView.as_view()),
    path("groups/<slug:slug>/catalogue/", views.GroupCatalogueSearchView.as_view()),
    path("libraries/<slug:slug>/catalogue/", views.LibraryCatalogueSearchView.as_view()),
    path("libraries/<slug:slug>/catalogue/imports/", views.CatalogueImportsView.as_view()),
    path(
        "libraries/<slug:slug>/catalogue/imports/<int:import_id>/", views.CatalogueImportDetailView.as_view()
    ),
]
