"""backend/rows.py's builders make, from a plain statement's rows, the instances a queryset would."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from accounts.models import User
from backend import rows
from chat import services as chat_services
from chat.models import Message
from tests.chat.conftest import make_thread

pytestmark = pytest.mark.django_db


def test_builder_makes_what_the_orm_makes(public_group, member):
    thread = make_thread(public_group, member)
    sent = [
        chat_services.message_send(author=member, thread=thread, body=f"bericht {n}", client_id=uuid.uuid4())
        for n in range(3)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rows.columns(Message)} FROM chat_message ORDER BY id")
        found = cursor.fetchall()
    # Built without Model.__init__: held to the ORM's instances here.
    assert rows._plain(Message, rows._recipe(Message, None))
    build = rows.builder(Message)
    built = [build(row) for row in found[:-1]] + [rows.instance(Message, found[-1])]
    expected = list(Message.objects.order_by("id"))
    assert [m.pk for m in built] == [r.message.pk for r in sent]
    for mine, theirs in zip(built, expected, strict=True):
        assert not mine._state.adding and mine._state.db == theirs._state.db
        for field in Message._meta.concrete_fields:
            assert getattr(mine, field.attname) == getattr(theirs, field.attname), field.attname
        assert isinstance(mine.client_id, uuid.UUID)
        assert mine.get_deferred_fields() == set()
        assert mine == theirs and hash(mine) == hash(theirs)
    # Related objects load and cache as on the ORM's instances; changing a foreign key drops the cache.
    message = built[0]
    assert message.author == member and message.thread == thread
    message.thread_id = thread.pk + 1000
    assert not Message._meta.get_field("thread").is_cached(message)


def test_a_model_with_init_receivers_is_built_through_its_init(member):
    """An ImageField or GenericForeignKey listens to post_init: such models keep `from_db`."""
    from django.db.models.signals import post_init

    seen: list[User] = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    columns = rows.some_columns(User, ["display_name"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM accounts_user WHERE id = %s", [member.pk])
        row = cursor.fetchone()
    rows.builder(User, ["display_name"])(row)  # built (and its recipe kept) before the receiver came
    post_init.connect(receiver, sender=User)
    try:
        user = rows.builder(User, ["display_name"])(row)
        every_column = rows.columns(User)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {every_column} FROM accounts_user WHERE id = %s", [member.pk])
            whole = rows.instance(User, cursor.fetchone())
    finally:
        post_init.disconnect(receiver, sender=User)
    assert seen == [user, whole]


def test_some_columns_defer_the_rest(member, django_assert_num_queries):
    columns = rows.some_columns(User, ["display_name"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM accounts_user WHERE id = %s", [member.pk])
        row = cursor.fetchone()
    user = rows.builder(User, ["display_name"])(row)
    with django_assert_num_queries(0):
        assert (user.pk, user.display_name) == (member.pk, "Anouk")  # the primary key always comes
    assert user.get_deferred_fields() >= {"email", "password"}
    with django_assert_num_queries(1):
        assert user.email == member.email  # deferred, as with .only()
    with pytest.raises(ValueError, match="no columns"):
        rows.some_columns(User, ["nickname"])


def test_the_access_read_every_send_makes_is_prepared_once_per_connection(public_group, member):
    thread = make_thread(public_group, member)
    from chat.selectors import access_thread_to_send

    for _ in range(7):  # prepared after prepare_threshold (5) runs on this connection
        found = access_thread_to_send(user=member, thread_id=thread.pk, client_id=uuid.uuid4())
        assert (found.pk, found.group.pk) == (thread.pk, public_group.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        prepared = cursor.fetchall()
    runs = [n for statement, n in prepared if 'FROM "chat_thread" INNER JOIN "groups_group"' in statement]
    assert runs and runs[0] >= 1
