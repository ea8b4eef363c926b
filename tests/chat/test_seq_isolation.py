"""Sequence numbers are assigned per group (an UPDATE of the group's row, groups.services.
group_allocate_seq): a send that holds group A's lock never delays a send into group B."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from django.db import OperationalError, connection, transaction

from chat import services as chat_services
from chat.models import GroupEvent, Message
from groups.models import Group
from tests.conftest import add_member, make_group


def _send(author, thread, *, lock_timeout: str):
    """The real send, bounded: waiting longer than `lock_timeout` for a lock raises instead."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
        return chat_services.message_send(author=author, thread=thread, body="Hallo", client_id=uuid.uuid4())


@pytest.mark.django_db(transaction=True)
def test_a_send_holding_one_groups_lock_does_not_block_another_group(library, librarian, member):
    group_a, group_b = make_group(library, creator=librarian), make_group(library, creator=librarian)
    add_member(group_a, member)
    add_member(group_b, member)
    thread_a = chat_services.thread_create(actor=librarian, group=group_a, title="A")
    thread_b = chat_services.thread_create(actor=librarian, group=group_b, title="B")
    db = connection.settings_dict

    # Another process in the middle of a send into A: it took A's next seq and has not committed.
    holder = psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"]
    )
    try:
        holder.execute("UPDATE groups_group SET last_seq = last_seq + 1 WHERE id = %s", [group_a.pk])

        started = time.perf_counter()
        sent_b = _send(member, thread_b, lock_timeout="5s")
        waited = time.perf_counter() - started
        print(f"send into group B while A was locked: {waited * 1000:.1f} ms")
        assert sent_b.created
        assert sent_b.message.seq == Group.objects.get(pk=group_b.pk).last_seq == thread_b.seq + 1

        # The lock is real: a send into A itself waits for it (and gives up after 0.5 s here).
        with pytest.raises(OperationalError):
            _send(member, thread_a, lock_timeout="500ms")
    finally:
        holder.rollback()
        holder.close()

    # Released: A's send goes through with the seq the rolled-back one had, gapless.
    sent_a = _send(member, thread_a, lock_timeout="5s")
    assert sent_a.message.seq == thread_a.seq + 1
    assert list(GroupEvent.objects.filter(group=group_a).order_by("seq").values_list("seq", flat=True)) == [
        1,
        2,
    ]
    assert Message.objects.filter(group=group_a).count() == 1
