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
    build = rows.builder(Message)
    built = [build(row) for row in found]
    expected = list(Message.objects.order_by("id"))
    assert [m.pk for m in built] == [r.message.pk for r in sent]
    for mine, theirs in zip(built, expected, strict=True):
        assert not mine._state.adding and mine._state.db == theirs._state.db
        for field in Message._meta.concrete_fields:
            assert getattr(mine, field.attname) == getattr(theirs, field.attname), field.attname
        assert isinstance(mine.client_id, uuid.UUID)


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
