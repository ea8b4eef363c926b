import type { Meetup, Notification, SupportRequest } from './meetups';

export function makeMeetup(over: Partial<Meetup> = {}): Meetup {
  return {
    id: 41,
    url: '/bijeenkomsten/41',
    group: { slug: 'energie-klimaat', name: 'Energie & klimaat', visibility: 'public' },
    library: { slug: 'voorbeeldstad', name: 'Bibliotheek Voorbeeldstad' },
    title: 'Warmtepompen in oude huizen',
    description: 'Ervaringen delen.',
    description_html: '<p>Ervaringen delen.</p>',
    starts_at: '2026-12-03T18:30:00Z',
    ends_at: '2026-12-03T20:00:00Z',
    in_person: true,
    online: false,
    hybrid: false,
    location: '',
    online_url: '',
    room: null,
    capacity: 20,
    effective_capacity: 20,
    status: 'published',
    promoted: false,
    sequence: 1,
    created_by: { id: 3, display_name: 'Hanna' },
    cohosts: [],
    going_count: 2,
    maybe_count: 1,
    waitlist_count: 0,
    seats_left: 18,
    my_rsvp: null,
    can_manage: false,
    live: false,
    join_code: null,
    join_url: null,
    thread: 12,
    support_request: null,
    summary: null,
    cancelled_at: null,
    cancel_reason: '',
    finished_at: null,
    ...over,
  };
}

export function makeSupportRequest(over: Partial<SupportRequest> = {}): SupportRequest {
  return {
    id: 8,
    meetup: {
      id: 41,
      title: 'Warmtepompen in oude huizen',
      starts_at: '2026-12-03T18:30:00Z',
      ends_at: '2026-12-03T20:00:00Z',
      group: { slug: 'energie-klimaat', name: 'Energie & klimaat' },
    },
    wants_room: true,
    preferred_branch: { id: 1, name: 'Centrale bibliotheek' },
    wants_promotion: false,
    help: '',
    state: 'pending',
    note: '',
    requested_by: { id: 3, display_name: 'Hanna' },
    created_at: '2026-11-25T10:00:00Z',
    decided_by: null,
    decided_at: null,
    room: null,
    ...over,
  };
}

export function makeNotification(over: Partial<Notification> = {}): Notification {
  return {
    id: 1,
    kind: 'meetup.reminder',
    text: 'Morgen: Warmtepompen in oude huizen',
    url: '/bijeenkomsten/41',
    data: {},
    created_at: '2026-12-02T18:30:00Z',
    read: false,
    ...over,
  };
}
