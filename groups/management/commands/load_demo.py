"""Load the demo library, its groups, Dutch conversations and demo accounts — idempotently."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from chat import services as chat_services
from chat.models import Thread
from groups import services as group_services
from groups.models import Group, Library, Membership
from moderation import selectors as moderation_selectors
from moderation import services as moderation_services

DEMO_PASSWORD = "kenniscloud-demo"
DEMO_CATALOGUE = Path(__file__).resolve().parents[3] / "resources" / "demo" / "catalogue.csv"
# The energy group's theme collection: catalogue record ids with the curator's note.
DEMO_COLLECTION = [
    ("VBS-000359", "Begin hier: een helder overzicht voor wie twijfelt over zonnepanelen."),
    ("VBS-000226", "Voor wie verder wil: opbrengst, terugverdientijd en salderen."),
    ("VBS-000744", "Besproken op de Kennis Werkplaats van maart."),
]

ACCOUNTS = [
    # email, display name, staff
    ("sanne@voorbeeldstad.example", "Sanne (bibliothecaris)", False),
    ("anouk@voorbeeldstad.example", "Anouk", False),
    ("bram@voorbeeldstad.example", "Bram", False),
    ("fatima@voorbeeldstad.example", "Fatima", False),
    ("beheer@voorbeeldstad.example", "Platformbeheer", True),
]

GUIDELINES = """Huisregels van Bibliotheek Voorbeeldstad

1. Wees vriendelijk en respectvol, ook als je het oneens bent.
2. Deel geen persoonlijke gegevens van anderen.
3. Geen reclame of spam.
4. Blijf bij het onderwerp van de kennisgroep.
5. Twijfel je? Meld een bericht; een community-bibliothecaris kijkt mee."""

DEMO_PLACES = [
    (
        "Centrale Bibliotheek",
        "Stationsplein 1, Voorbeeldstad",
        [
            (
                "De Kennisboom",
                40,
                "Rolstoeltoegankelijk; ringleiding; invalidentoilet op dezelfde verdieping.",
            ),
            ("Leescafé", 20, "Begane grond, drempelvrij."),
        ],
    ),
    (
        "Wijkbibliotheek Oost",
        "Oosterstraat 12, Voorbeeldstad",
        [("Studieruimte", 12, "Eerste verdieping, met lift.")],
    ),
]

DEMO_MEETUPS = [
    {
        "fields": {
            "title": "Kennis Werkplaats: zonnepanelen op je dak",
            "description": "Hoe begin je met zonnepanelen? Buurtbewoners delen hun ervaringen, een "
            "energiecoach beantwoordt vragen. Ook online te volgen.",
            "in_person": True,
            "online": True,
            "online_url": "https://meet.voorbeeldstad.example/zonnepanelen",
            "capacity": 30,
        },
        "in_days": 7,
        "start": time(19, 30),
        "hours": 2,
        "request": {"wants_room": True, "wants_promotion": True, "help": "Graag een beamer en koffie."},
        "approve": "De Kennisboom",
        "note": "Beamer en koffie staan klaar. We zetten hem in de nieuwsbrief.",
        "rsvps": [("anouk", "going"), ("bram", "maybe")],
    },
    {
        "fields": {
            "title": "Energiecafé: isoleren voor beginners",
            "description": "Praktische tips om je huis te isoleren, met voorbeelden uit de buurt.",
            "in_person": True,
            "online": False,
            "capacity": 12,
        },
        "in_days": 14,
        "start": time(14, 0),
        "hours": 1.5,
        "request": {"wants_room": True, "preferred_branch": "Wijkbibliotheek Oost", "help": ""},
        "approve": None,
        "note": "",
        "rsvps": [],
    },
]

GROUPS = [
    {
        "slug": "energie-en-klimaat",
        "name": "Energie & Klimaat",
        "description": "Samen werken aan een duurzame buurt: zonnepanelen, isoleren, energiecoöperaties.",
        "themes": ["energie", "klimaat", "duurzaamheid"],
        "visibility": "public",
        "members": ["anouk", "bram"],
        "threads": [
            (
                "Zonnepanelen op het dak van de bieb?",
                [
                    (
                        "anouk",
                        "Wie weet of de gemeente subsidie geeft voor **zonnepanelen** op openbare gebouwen?",
                    ),
                    (
                        "bram",
                        "Ja, via de regeling *Duurzame Maatschappelijke Voorzieningen*. Ik zoek de link op.",
                    ),
                    (
                        "sanne",
                        "In de collectie staat ook *De energietransitie in je eigen buurt* — "
                        "handig voor de volgende bijeenkomst.",
                    ),
                ],
            ),
            (
                "Isoleren van een jaren-30 woning",
                [
                    (
                        "bram",
                        "Ervaringen met spouwmuurisolatie in oude huizen? Mijn buren twijfelen over vocht.",
                    ),
                    ("anouk", "Bij ons ging het goed, maar laat eerst een vochtmeting doen."),
                ],
            ),
        ],
    },
    {
        "slug": "digitale-vaardigheden",
        "name": "Digitale Vaardigheden",
        "description": "Hulp en kennis rond DigiD, veilig internetten, je telefoon en de computer.",
        "themes": ["digitale vaardigheden", "veiligheid", "overheid"],
        "visibility": "public",
        "members": ["fatima", "anouk"],
        "threads": [
            (
                "DigiD-app instellen: waar loop je vast?",
                [
                    ("fatima", "Veel mensen lopen vast bij het scannen van het identiteitsbewijs. Tips?"),
                    ("anouk", "Het Informatiepunt Digitale Overheid in de bieb helpt elke dinsdagochtend."),
                ],
            ),
        ],
    },
    {
        "slug": "lokale-geschiedenis",
        "name": "Lokale Geschiedenis",
        "description": "Verhalen, foto's en bronnen over de geschiedenis van Voorbeeldstad.",
        "themes": ["geschiedenis", "erfgoed"],
        "visibility": "public",
        "members": ["bram"],
        "threads": [
            (
                "Oude foto's van de Marktstraat",
                [
                    ("bram", "Ik heb foto's van de Marktstraat uit 1952 gevonden. Wie herkent de winkels?"),
                    ("sanne", "Het gemeentearchief heeft een beeldbank; zullen we ze daar aan koppelen?"),
                ],
            ),
        ],
    },
    {
        "slug": "mantelzorgers",
        "name": "Mantelzorgers Voorbeeldstad",
        "description": "Een besloten groep voor mantelzorgers om ervaringen te delen.",
        "themes": ["zorg", "mantelzorg"],
        "visibility": "closed",
        "members": ["fatima"],
        "threads": [
            (
                "Even voorstellen",
                [
                    ("fatima", "Ik zorg sinds een jaar voor mijn moeder. Fijn dat deze groep er is."),
                ],
            ),
        ],
    },
]


class Command(BaseCommand):
    help = "Load the demo library 'Bibliotheek Voorbeeldstad' with groups, conversations and accounts."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            users = {
                email.split("@")[0]: self._account(email, name, staff) for email, name, staff in ACCOUNTS
            }
            library, _ = Library.objects.get_or_create(
                slug="voorbeeldstad", defaults={"name": "Bibliotheek Voorbeeldstad"}
            )
            group_services.librarian_add(library=library, user=users["sanne"])
            for spec in GROUPS:
                self._group(library, spec, users)
            self._catalogue(library, users)
            self._meetups(library, users)
            if not moderation_selectors.library_settings(library_id=library.pk).guidelines:
                moderation_services.library_settings_update(
                    actor=users["sanne"], library_id=library.pk, guidelines=GUIDELINES
                )
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Demo accounts (password: {DEMO_PASSWORD}):")
        )
        for email, name, staff in ACCOUNTS:
            role = "platform staff" if staff else ("librarian" if email.startswith("sanne") else "member")
            self.stdout.write(f"  {email:34} {name:24} {role}")

    def _catalogue(self, library: Library, users: dict[str, User]) -> None:
        """The demo catalogue (a few hundred Dutch titles made for the project; re-imports change
        nothing), a curated collection for the energy group, and suggestions for the threads."""
        from resources import services as resource_services
        from resources.catalogue.importer import catalogue_import_run
        from resources.models import CatalogueImport, CollectionItem, Resource
        from resources.suggestions import suggestions_recompute

        job = CatalogueImport.objects.create(library=library, format="csv", filename=DEMO_CATALOGUE.name)
        with DEMO_CATALOGUE.open("rb") as stream:
            report = catalogue_import_run(catalogue_import=job, stream=stream)
        self.stdout.write(
            f"Demo catalogue: {report.created} new, {report.updated} updated, {report.unchanged} unchanged."
        )
        group = Group.objects.get(slug="energie-en-klimaat")
        if not CollectionItem.objects.filter(group=group).exists():
            for record_id, note in DEMO_COLLECTION:
                resource = Resource.objects.filter(library=library, record_id=record_id).first()
                if resource is not None:
                    resource_services.collection_item_add(
                        actor=users["sanne"], group=group, resource=resource, note=note
                    )
        for thread in Thread.objects.filter(group__library=library):
            suggestions_recompute(thread_id=thread.pk)

    def _meetups(self, library: Library, users: dict[str, User]) -> None:
        """Two branches with rooms; in the energy group a hybrid Kennis Werkplaats next week (room
        approved, promoted, Anouk going, Bram maybe) and an Energiecafé whose room request waits in
        Sanne's queue. Through the services, as hosts and librarians would."""
        from zoneinfo import ZoneInfo

        from meetups import services as meetup_services
        from meetups.models import Meetup, Room

        if Meetup.objects.filter(group__library=library).exists():
            return
        sanne = users["sanne"]
        rooms: dict[str, Room] = {}
        branches: dict[str, int] = {}
        for branch_name, address, branch_rooms in DEMO_PLACES:
            branch = meetup_services.branch_create(
                actor=sanne, library=library, name=branch_name, address=address
            )
            branches[branch_name] = branch.pk
            for name, capacity, accessibility in branch_rooms:
                rooms[name] = meetup_services.room_create(
                    actor=sanne, branch=branch, name=name, capacity=capacity, accessibility=accessibility
                )
        group = Group.objects.get(slug="energie-en-klimaat")
        amsterdam = ZoneInfo("Europe/Amsterdam")
        today = datetime.now(amsterdam).date()

        def evening(days: int, start: time, hours: float) -> dict[str, datetime]:
            starts = datetime.combine(today + timedelta(days=days), start, tzinfo=amsterdam)
            return {"starts_at": starts, "ends_at": starts + timedelta(hours=hours)}

        for spec in DEMO_MEETUPS:
            meetup = meetup_services.meetup_create(
                actor=sanne,
                group=group,
                data={**spec["fields"], **evening(spec["in_days"], spec["start"], spec["hours"])},
            )
            asked = dict(spec["request"])
            if asked.get("preferred_branch"):
                asked["preferred_branch"] = branches[asked["preferred_branch"]]
            request = meetup_services.support_request_create(actor=sanne, meetup=meetup, **asked)
            if spec["approve"]:
                meetup_services.support_request_approve(
                    actor=sanne, request=request, room=rooms[spec["approve"]].pk, note=spec["note"]
                )
                meetup = Meetup.objects.get(pk=meetup.pk)
                for key, answer in spec["rsvps"]:
                    meetup_services.rsvp_set(actor=users[key], meetup=meetup, answer=answer)

    def _account(self, email: str, name: str, staff: bool) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, display_name=name)
            user.is_staff = user.is_superuser = staff
            user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def _group(self, library: Library, spec: dict, users: dict[str, User]) -> None:
        group = Group.objects.filter(slug=spec["slug"]).first()
        if group is None:
            group = group_services.group_create(
                actor=users["sanne"],
                library=library,
                name=spec["name"],
                slug=spec["slug"],
                description=spec["description"],
                themes=spec["themes"],
                visibility=spec["visibility"],
            )
        for key in spec["members"]:
            if Membership.objects.filter(group=group, user=users[key]).exists():
                continue
            # Through the services, as a member would: a closed group by invite and approval.
            membership = group_services.group_join(
                actor=users[key], group=group, invite_code=group.invite_code
            )
            if not membership.is_active:
                group_services.membership_approve(actor=users["sanne"], group=group, user_id=users[key].pk)
        if Thread.objects.filter(group=group).exists():
            return
        for title, messages in spec["threads"]:
            thread = chat_services.thread_create(actor=users[messages[0][0]], group=group, title=title)
            for author, body in messages:
                chat_services.message_send(
                    author=users[author],
                    thread=thread,
                    body=body,
                    client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{group.slug}:{title}:{body}"),
                )
