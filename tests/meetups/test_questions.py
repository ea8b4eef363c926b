"""Questions and votes at a meetup: asking, one vote per participant (also under concurrency), the
order that updates live, the spotlight, hiding (docs/meetups.md, "Questions")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chat.models import GroupEvent
from meetups.models import Meetup, MeetupStatus, Question
from tests.conftest import add_member, in_threads, make_user


def ask(api, user, meetup, body: str):
    return api(user).post(f"/api/v1/meetups/{meetup.pk}/questions/", {"body": body}, format="json")


def listed(api, user, meetup) -> list[dict]:
    response = api(user).get(f"/api/v1/meetups/{meetup.pk}/questions/")
    assert response.status_code == 200, response.content
    return response.json()


# --- asking --------------------------------------------------------------------------------------


def test_a_member_asks_and_everyone_who_sees_the_meetup_reads_it(api, meetup, member):
    response = ask(api, member, meetup, "  Hoeveel kost een warmtepomp?  ")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["body"] == "Hoeveel kost een warmtepomp?"
    assert body["author"] == {"id": member.pk, "display_name": member.display_name}
    assert (body["votes"], body["voted"], body["state"], body["meetup"]) == (0, False, "open", meetup.pk)
    assert [q["id"] for q in listed(api, None, meetup)] == [body["id"]]  # anonymous: a public group
    event = GroupEvent.objects.filter(group=meetup.group, type="meetup.question").get()
    assert event.payload["meetup"] == meetup.pk and event.payload["question"]["id"] == body["id"]


def test_bad_questions_are_refused_with_a_code(api, meetup, member, outsider):
    assert ask(api, member, meetup, "   ").json()["code"] == "question_empty"
    too_long = ask(api, member, meetup, "x" * 501)
    assert (too_long.status_code, too_long.json()["code"]) == (400, "question_too_long")
    assert ask(api, member, meetup, "x" * 500).status_code == 201
    assert ask(api, outsider, meetup, "Mag ik ook?").json()["code"] == "not_a_member"
    missing = api(member).post("/api/v1/meetups/999999/questions/", {"body": "Hallo?"}, format="json")
    assert missing.status_code == 404
    assert api(member).post(f"/api/v1/meetups/{meetup.pk}/questions/", {}, format="json").status_code == 400
    assert Question.objects.count() == 1


def test_no_questions_or_votes_after_the_meetup_finished(api, meetup, member, other_member):
    question_id = ask(api, member, meetup, "Nog een vraag?").json()["id"]
    Meetup.objects.filter(pk=meetup.pk).update(status=MeetupStatus.FINISHED, finished_at=timezone.now())
    late = ask(api, member, meetup, "Te laat?")
    assert (late.status_code, late.json()["code"]) == (409, "questions_closed")
    vote = api(other_member).put(f"/api/v1/questions/{question_id}/vote/")
    assert (vote.status_code, vote.json()["code"]) == (409, "questions_closed")


def test_closed_group_questions_are_invisible_to_outsiders(api, closed_meetup, member, outsider):
    question_id = ask(api, member, closed_meetup, "Besloten vraag").json()["id"]
    assert api(outsider).get(f"/api/v1/meetups/{closed_meetup.pk}/questions/").status_code == 404
    assert api(outsider).put(f"/api/v1/questions/{question_id}/vote/").status_code == 404
    assert api(outsider).delete(f"/api/v1/questions/{question_id}/").status_code == 404
    assert api(None).get(f"/api/v1/meetups/{closed_meetup.pk}/questions/").status_code == 404


# --- votes ---------------------------------------------------------------------------------------


def test_a_vote_counts_once_and_can_be_taken_back(api, meetup, member, other_member):
    question_id = ask(api, member, meetup, "Zonnepanelen op een rijtjeshuis?").json()["id"]
    url = f"/api/v1/questions/{question_id}/vote/"
    for _ in range(2):
        response = api(other_member).put(url)
        assert response.status_code == 200
        assert (response.json()["votes"], response.json()["voted"]) == (1, True)
    assert listed(api, other_member, meetup)[0]["voted"] is True
    assert listed(api, member, meetup)[0]["voted"] is False
    for _ in range(2):
        response = api(other_member).delete(url)
        assert (response.json()["votes"], response.json()["voted"]) == (0, False)
    # Two votes and two unvotes that changed something; repeats record nothing.
    assert GroupEvent.objects.filter(group=meetup.group, type="meetup.question").count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_are_counted_exactly(meetup, public_group, member):
    voters = [make_user(f"Stemmer {i}") for i in range(12)]
    for voter in voters:
        add_member(public_group, voter)
    client = APIClient()
    client.force_authenticate(member)
    question_id = client.post(
        f"/api/v1/meetups/{meetup.pk}/questions/", {"body": "Wie betaalt de isolatie?"}, format="json"
    ).json()["id"]

    def vote(i: int) -> int:
        c = APIClient()
        c.force_authenticate(voters[i % len(voters)])
        return c.put(f"/api/v1/questions/{question_id}/vote/").status_code

    # Every voter once, and the first four voters three more times each, all at the same moment.
    statuses = in_threads(len(voters) + 4 * 3, vote)
    assert set(statuses) == {200}
    question = Question.objects.get(pk=question_id)
    assert question.vote_count == len(voters) == question.votes.count()


# --- order and spotlight -------------------------------------------------------------------------


def test_the_order_spotlight_first_then_open_by_votes_then_answered(api, meetup, member, other_member, host):
    ids = [ask(api, member, meetup, f"Vraag {n}").json()["id"] for n in range(4)]
    api(other_member).put(f"/api/v1/questions/{ids[2]}/vote/")
    api(host).put(f"/api/v1/questions/{ids[2]}/vote/")
    api(host).put(f"/api/v1/questions/{ids[1]}/vote/")
    assert [q["id"] for q in listed(api, member, meetup)] == [ids[2], ids[1], ids[0], ids[3]]
    api(host).post(f"/api/v1/questions/{ids[2]}/state/", {"state": "answered"}, format="json")
    api(host).post(f"/api/v1/questions/{ids[3]}/state/", {"state": "answering"}, format="json")
    assert [q["id"] for q in listed(api, member, meetup)] == [ids[3], ids[1], ids[0], ids[2]]


def test_only_one_question_is_in_the_spotlight(api, meetup, member, host):
    first, second = (ask(api, member, meetup, f"Vraag {n}").json()["id"] for n in range(2))

    def state(qid: int, value: str, user=host):
        return api(user).post(f"/api/v1/questions/{qid}/state/", {"state": value}, format="json")

    assert state(first, "answering").json()["state"] == "answering"
    assert Meetup.objects.get(pk=meetup.pk).spotlight_id == first
    assert state(second, "answering").json()["state"] == "answering"
    states = {q.pk: q.state for q in Question.objects.filter(meetup=meetup)}
    assert states == {first: "answered", second: "answering"}
    assert Question.objects.get(pk=first).answered_at is not None
    assert Meetup.objects.get(pk=meetup.pk).spotlight_id == second
    assert state(second, "open").json()["state"] == "open"
    assert Meetup.objects.get(pk=meetup.pk).spotlight_id is None
    assert state(first, "answering", user=member).status_code == 403
    bad = state(first, "maybe")
    assert (bad.status_code, bad.json()["code"]) == (400, "validation_error")


def test_the_author_or_a_moderator_hides_a_question(api, meetup, member, other_member, host):
    mine, theirs = (
        ask(api, member, meetup, "Mijn vraag").json()["id"],
        ask(api, other_member, meetup, "Ongepast").json()["id"],
    )
    assert api(member).delete(f"/api/v1/questions/{theirs}/").status_code == 403
    api(host).post(f"/api/v1/questions/{theirs}/state/", {"state": "answering"}, format="json")
    assert api(host).delete(f"/api/v1/questions/{theirs}/").status_code == 204
    assert api(member).delete(f"/api/v1/questions/{mine}/").status_code == 204
    assert listed(api, member, meetup) == []
    as_moderator = listed(api, host, meetup)
    assert {q["id"]: q["hidden"] for q in as_moderator} == {mine: True, theirs: True}
    assert Meetup.objects.get(pk=meetup.pk).spotlight_id is None
    assert api(member).put(f"/api/v1/questions/{theirs}/vote/").status_code == 404
    hidden_event = GroupEvent.objects.filter(type="meetup.question").order_by("seq").last()
    assert (
        hidden_event.payload["question"]["hidden"] is True and hidden_event.payload["question"]["body"] == ""
    )


# --- live ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_vote_reaches_everyone_live_and_reorders_the_list(
    connect, db_call, public_group, member, other_member, host
):
    from tests.meetups.factories import make_meetup

    meetup = await db_call(make_meetup, public_group, host, starts_at=timezone.now() + timedelta(hours=1))
    sockets = []
    for user in (member, other_member):
        accepted, ws = await connect(user)
        assert accepted
        await ws.subscribe(public_group)
        sockets.append(ws)
    a, b = sockets
    await a.send("question.ask", meetup=meetup.pk, body="Eerste vraag")
    first = [(await ws.expect("meetup.question"))["question"] for ws in sockets]
    await b.send("question.ask", meetup=meetup.pk, body="Tweede vraag")
    second = [(await ws.expect("meetup.question"))["question"] for ws in sockets]
    assert first[0] == first[1] and first[0]["body"] == "Eerste vraag"

    def order() -> list[int]:
        client = APIClient()
        client.force_authenticate(member)
        return [q["id"] for q in client.get(f"/api/v1/meetups/{meetup.pk}/questions/").json()]

    assert await db_call(order) == [first[0]["id"], second[0]["id"]]
    await a.send("question.vote", question=second[0]["id"], vote=True)
    for ws in sockets:
        frame = await ws.expect("meetup.question")
        assert frame["meetup"] == meetup.pk and frame["group"] == public_group.slug
        assert (frame["question"]["id"], frame["question"]["votes"], frame["question"]["voted"]) == (
            second[0]["id"],
            1,
            False,
        )
    assert await db_call(order) == [second[0]["id"], first[0]["id"]]

    await b.send("question.state", question=first[0]["id"], state="answering", ref="r1")
    error = await b.expect("error")
    assert (error["code"], error["ref"]) == ("permission_denied", "r1")
    await a.send("question.ask", meetup=meetup.pk, body="")
    assert (await a.expect("error"))["code"] == "question_empty"
