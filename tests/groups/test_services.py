"""groups.services through its public functions: memberships, roles and group creation, with the DB
state after each write and the revocations published to the user's sockets after commit."""

from __future__ import annotations

import uuid

import pytest

from backend.exceptions import NotFound, PermissionDenied, ValidationFailed
from chat import services as chat_services
from groups import selectors, services
from groups.errors import AlreadyMember, NotAMember
from groups.models import Group, Librarian, Membership, MembershipState, Role
from tests.conftest import add_member, make_library, make_user


def membership(group: Group, user) -> Membership | None:
    return Membership.objects.filter(group=group, user=user).first()


def revocations(listener) -> list[dict]:
    return [m for m in listener.received() if m["type"] == "group.revoked"]


@pytest.fixture
def busy_public_group(public_group, member) -> Group:
    """A public group with some history: last_seq 3."""
    thread = chat_services.thread_create(actor=member, group=public_group, title="Gesprek")
    for body in ("een", "twee"):
        chat_services.message_send(author=member, thread=thread, body=body, client_id=uuid.uuid4())
    public_group.refresh_from_db()
    assert public_group.last_seq == 3
    return public_group


# --- join ----------------------------------------------------------------------------------------


def test_join_public_group_is_active_at_once_with_read_floor_at_last_seq(busy_public_group, outsider):
    joined = services.group_join(actor=outsider, group=busy_public_group)

    stored = membership(busy_public_group, outsider)
    assert stored is not None and stored.pk == joined.pk
    assert (stored.role, stored.state) == (Role.MEMBER, MembershipState.ACTIVE)
    assert stored.joined_at is not None
    assert stored.read_floor_seq == 3


def test_joining_twice_is_refused(public_group, outsider):
    services.group_join(actor=outsider, group=public_group)
    with pytest.raises(AlreadyMember):
        services.group_join(actor=outsider, group=public_group)
    assert Membership.objects.filter(group=public_group, user=outsider).count() == 1


def test_closed_group_without_invite_code_is_not_found(closed_group, outsider):
    with pytest.raises(NotFound):
        selectors.group_for_join(user=outsider, slug=closed_group.slug, invite_code="")
    with pytest.raises(NotFound):
        selectors.group_for_join(user=outsider, slug=closed_group.slug, invite_code="verkeerd")
    with pytest.raises(NotFound):
        services.group_join(actor=outsider, group=closed_group, invite_code="verkeerd")
    assert membership(closed_group, outsider) is None


def test_closed_group_with_invite_code_is_a_pending_request(closed_group, outsider):
    group = selectors.group_for_join(
        user=outsider, slug=closed_group.slug, invite_code=closed_group.invite_code
    )
    request = services.group_join(actor=outsider, group=group, invite_code=closed_group.invite_code)

    assert (request.role, request.state) == (Role.MEMBER, MembershipState.PENDING)
    assert request.joined_at is None
    # A pending request does not open the group.
    with pytest.raises(NotFound):
        selectors.access_group(user=outsider, slug=closed_group.slug)
    with pytest.raises(AlreadyMember):
        services.group_join(actor=outsider, group=group, invite_code=closed_group.invite_code)


def test_librarian_of_the_library_joins_a_closed_group_without_code(closed_group):
    colleague = make_user("Collega")
    services.librarian_add(library=closed_group.library, user=colleague)
    joined = services.group_join(actor=colleague, group=closed_group)
    assert (joined.role, joined.state) == (Role.LIBRARIAN, MembershipState.ACTIVE)


@pytest.mark.parametrize("manager", ["host", "librarian", "staff"])
def test_approve_activates_a_request_with_read_floor_at_approval(request, closed_group, member, manager):
    actor = request.getfixturevalue(manager)
    applicant = make_user("Aanvrager")
    services.group_join(actor=applicant, group=closed_group, invite_code=closed_group.invite_code)
    thread = chat_services.thread_create(actor=member, group=closed_group, title="Intern")
    chat_services.message_send(
        author=member, thread=thread, body="Voor het goedkeuren", client_id=uuid.uuid4()
    )
    closed_group.refresh_from_db()

    approved = services.membership_approve(actor=actor, group=closed_group, user_id=applicant.pk)

    stored = membership(closed_group, applicant)
    assert approved.pk == stored.pk
    assert stored.state == MembershipState.ACTIVE
    assert stored.joined_at is not None
    assert stored.read_floor_seq == closed_group.last_seq == 2
    assert selectors.access_group(user=applicant, slug=closed_group.slug) == closed_group
    with pytest.raises(AlreadyMember):
        services.membership_approve(actor=actor, group=closed_group, user_id=applicant.pk)


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_managers_approve(request, closed_group, who):
    actor = request.getfixturevalue(who)
    applicant = make_user("Aanvrager")
    services.group_join(actor=applicant, group=closed_group, invite_code=closed_group.invite_code)
    with pytest.raises(PermissionDenied):
        services.membership_approve(actor=actor, group=closed_group, user_id=applicant.pk)
    assert membership(closed_group, applicant).state == MembershipState.PENDING


def test_approving_someone_without_a_request_is_not_found(closed_group, host, outsider):
    with pytest.raises(NotFound):
        services.membership_approve(actor=host, group=closed_group, user_id=outsider.pk)


# --- remove and leave: revocation reaches the user's sockets after commit ----------------------


def test_remove_deletes_the_membership_and_revokes_after_commit(
    public_group, host, member, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen_user(member.pk)

    with django_capture_on_commit_callbacks() as callbacks:
        services.membership_remove(actor=host, group=public_group, user_id=member.pk)
        assert membership(public_group, member) is None
        assert revocations(layer_listener) == []  # not committed yet
    for callback in callbacks:
        callback()

    assert revocations(layer_listener) == [
        {"type": "group.revoked", "group_id": public_group.pk, "user_id": member.pk, "reason": "removed"}
    ]


def test_declining_a_request_revokes_too(
    closed_group, host, layer_listener, django_capture_on_commit_callbacks
):
    applicant = make_user("Aanvrager")
    services.group_join(actor=applicant, group=closed_group, invite_code=closed_group.invite_code)
    layer_listener.listen_user(applicant.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_remove(actor=host, group=closed_group, user_id=applicant.pk)
    assert membership(closed_group, applicant) is None
    assert [m["reason"] for m in revocations(layer_listener)] == ["removed"]


def test_remove_publishes_only_to_that_user(
    public_group, host, member, other_member, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen_user(other_member.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_remove(actor=host, group=public_group, user_id=member.pk)
    assert layer_listener.received() == []


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_managers_remove(
    request, public_group, other_member, who, layer_listener, django_capture_on_commit_callbacks
):
    actor = request.getfixturevalue(who)
    layer_listener.listen_user(other_member.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(PermissionDenied):
            services.membership_remove(actor=actor, group=public_group, user_id=other_member.pk)
    assert membership(public_group, other_member) is not None
    assert callbacks == []
    assert layer_listener.received() == []


def test_hosts_can_not_remove_librarians(public_group, host, librarian):
    with pytest.raises(PermissionDenied):
        services.membership_remove(actor=host, group=public_group, user_id=librarian.pk)
    assert membership(public_group, librarian).role == Role.LIBRARIAN


def test_librarians_remove_hosts(public_group, host, librarian):
    services.membership_remove(actor=librarian, group=public_group, user_id=host.pk)
    assert membership(public_group, host) is None


def test_leave_deletes_the_membership_and_revokes_after_commit(
    public_group, member, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen_user(member.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.group_leave(actor=member, group=public_group)
    assert membership(public_group, member) is None
    assert revocations(layer_listener) == [
        {"type": "group.revoked", "group_id": public_group.pk, "user_id": member.pk, "reason": "left"}
    ]


def test_leave_withdraws_a_pending_request(closed_group):
    applicant = make_user("Aanvrager")
    services.group_join(actor=applicant, group=closed_group, invite_code=closed_group.invite_code)
    group = selectors.group_for_leave(user=applicant, slug=closed_group.slug)
    services.group_leave(actor=applicant, group=group)
    assert membership(closed_group, applicant) is None


def test_leaving_a_group_you_are_not_in_is_refused(
    public_group, outsider, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.listen_user(outsider.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(NotAMember):
            services.group_leave(actor=outsider, group=public_group)
    assert callbacks == []
    assert layer_listener.received() == []


def test_closed_group_is_not_found_for_leaving_outsiders(closed_group, outsider):
    with pytest.raises(NotFound):
        selectors.group_for_leave(user=outsider, slug=closed_group.slug)


# --- roles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor_role", "target_role", "new_role", "allowed"),
    [
        (Role.HOST, Role.MEMBER, Role.HOST, True),
        (Role.HOST, Role.HOST, Role.MEMBER, True),
        (Role.HOST, Role.MEMBER, Role.LIBRARIAN, False),
        (Role.HOST, Role.LIBRARIAN, Role.MEMBER, False),
        (Role.HOST, Role.LIBRARIAN, Role.HOST, False),
        (Role.MEMBER, Role.MEMBER, Role.HOST, False),
        (Role.MEMBER, Role.HOST, Role.MEMBER, False),
        (Role.LIBRARIAN, Role.MEMBER, Role.HOST, True),
        (Role.LIBRARIAN, Role.MEMBER, Role.LIBRARIAN, True),
        (Role.LIBRARIAN, Role.LIBRARIAN, Role.MEMBER, True),
    ],
)
def test_role_changes(public_group, actor_role, target_role, new_role, allowed):
    actor = make_user("Actor")
    add_member(public_group, actor, role=actor_role)
    target = make_user("Doel")
    add_member(public_group, target, role=target_role)

    if allowed:
        changed = services.membership_set_role(
            actor=actor, group=public_group, user_id=target.pk, role=new_role
        )
        assert changed.role == new_role
    else:
        with pytest.raises(PermissionDenied):
            services.membership_set_role(actor=actor, group=public_group, user_id=target.pk, role=new_role)
    assert membership(public_group, target).role == (new_role if allowed else target_role)


@pytest.mark.parametrize("actor_name", ["librarian", "staff"])
def test_library_librarians_and_staff_set_any_role_without_membership(
    request, public_group, member, actor_name
):
    actor = request.getfixturevalue(actor_name)
    Membership.objects.filter(group=public_group, user=actor).delete()  # rights come from the library
    services.membership_set_role(actor=actor, group=public_group, user_id=member.pk, role=Role.LIBRARIAN)
    assert membership(public_group, member).role == Role.LIBRARIAN


def test_role_of_a_pending_request_can_not_be_set(closed_group, librarian):
    applicant = make_user("Aanvrager")
    services.group_join(actor=applicant, group=closed_group, invite_code=closed_group.invite_code)
    with pytest.raises(NotAMember):
        services.membership_set_role(
            actor=librarian, group=closed_group, user_id=applicant.pk, role=Role.HOST
        )
    assert membership(closed_group, applicant).role == Role.MEMBER


def test_librarian_of_another_library_manages_nothing(public_group, member):
    stranger = make_user("Andere bieb")
    services.librarian_add(library=make_library(), user=stranger)
    with pytest.raises(PermissionDenied):
        services.membership_set_role(actor=stranger, group=public_group, user_id=member.pk, role=Role.HOST)
    with pytest.raises(PermissionDenied):
        services.membership_remove(actor=stranger, group=public_group, user_id=member.pk)


# --- group create / update -----------------------------------------------------------------------


@pytest.mark.parametrize("creator", ["librarian", "staff"])
def test_librarians_of_the_library_and_staff_create_groups(request, library, creator):
    actor = request.getfixturevalue(creator)
    group = services.group_create(
        actor=actor,
        library=library,
        name="Digitale vaardigheden",
        description="Samen leren",
        themes=["digitaal", " Digitaal ", "", "ouderen"],
        visibility="closed",
    )
    group.refresh_from_db()
    assert group.slug == "digitale-vaardigheden"
    assert group.library == library
    assert group.themes == ["digitaal", "ouderen"]
    assert group.last_seq == 0
    assert group.created_by == actor
    creator_membership = membership(group, actor)
    assert (creator_membership.role, creator_membership.state) == (Role.LIBRARIAN, MembershipState.ACTIVE)


@pytest.mark.parametrize("who", ["member", "host", "outsider", "other_library_librarian"])
def test_others_can_not_create_groups(request, library, public_group, who):
    if who == "other_library_librarian":
        actor = make_user("Andere bieb")
        services.librarian_add(library=make_library(), user=actor)
    else:
        actor = request.getfixturevalue(who)
    before = Group.objects.count()
    with pytest.raises(PermissionDenied):
        services.group_create(actor=actor, library=library, name="Mag niet")
    assert Group.objects.count() == before


def test_group_slug_must_be_free(library, librarian, public_group):
    with pytest.raises(ValidationFailed) as excinfo:
        services.group_create(actor=librarian, library=library, name="Dubbel", slug=public_group.slug)
    assert excinfo.value.as_payload()["code"] == "validation_error"
    assert set(excinfo.value.as_payload()["fields"]) == {"slug"}


def test_generated_slugs_do_not_collide(library, librarian):
    first = services.group_create(actor=librarian, library=library, name="Taalcafé")
    second = services.group_create(actor=librarian, library=library, name="Taalcafé")
    assert first.slug == "taalcafe"
    assert second.slug == "taalcafe-2"


@pytest.mark.parametrize(
    ("who", "allowed"), [("host", True), ("librarian", True), ("staff", True), ("member", False)]
)
def test_group_update(request, public_group, who, allowed):
    actor = request.getfixturevalue(who)
    if allowed:
        services.group_update(actor=actor, group=public_group, name="Nieuwe naam", themes=["a", "A", "b"])
        public_group.refresh_from_db()
        assert (public_group.name, public_group.themes) == ("Nieuwe naam", ["a", "b"])
    else:
        with pytest.raises(PermissionDenied):
            services.group_update(actor=actor, group=public_group, name="Nieuwe naam")
        public_group.refresh_from_db()
        assert public_group.name != "Nieuwe naam"


def test_library_create_is_for_staff(staff, librarian):
    library = services.library_create(actor=staff, name="Bibliotheek Zuid", slug="zuid")
    assert library.slug == "zuid"
    with pytest.raises(PermissionDenied):
        services.library_create(actor=librarian, name="Bibliotheek Noord", slug="noord")
    with pytest.raises(ValidationFailed):
        services.library_create(actor=staff, name="Nog een", slug="zuid")
    assert not Librarian.objects.filter(library=library).exists()


@pytest.mark.parametrize("visibility", ["public", "closed"])
def test_only_librarians_change_a_groups_visibility(
    library, librarian, host, closed_group, public_group, visibility
):
    group = closed_group if visibility == "closed" else public_group
    other = "public" if visibility == "closed" else "closed"
    with pytest.raises(PermissionDenied):
        services.group_update(actor=host, group=group, visibility=other)
    services.group_update(actor=host, group=group, description="Hosts edit the rest")
    services.group_update(actor=librarian, group=group, visibility=other)
    group.refresh_from_db()
    assert (group.visibility, group.description) == (other, "Hosts edit the rest")
