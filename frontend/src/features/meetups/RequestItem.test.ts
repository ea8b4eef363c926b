// A support request in the librarians' queue, with its real store (the REST calls are fakes).
import { flushSync, mount, tick, unmount } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import { makeMeetup, makeSupportRequest } from '../../api/meetups.fixtures';
import { i18n } from '../../i18n/index.svelte';
import { SupportRequestsStore, type RequestsApi } from '../../stores/meetupsRequests.svelte';
import MeetupItem from './MeetupItem.svelte';
import RequestItem from './RequestItem.svelte';

const mounted: Record<string, unknown>[] = [];
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
  i18n.set('nl');
});

const branches = [
  { id: 1, name: 'Centrale bibliotheek', address: 'Plein 1', rooms: [{ id: 4, name: 'Zaal 1', capacity: 30, accessibility: '' }] },
  { id: 2, name: 'Noord', address: '', rooms: [{ id: 5, name: 'Leeszaal', capacity: 8, accessibility: '' }] },
];

async function render(api: Partial<RequestsApi>) {
  const full = {
    listSupportRequests: vi.fn(async () => [makeSupportRequest()]),
    listBranches: vi.fn(async () => branches),
    approveSupport: vi.fn(),
    declineSupport: vi.fn(),
    ...api,
  } as RequestsApi;
  const store = new SupportRequestsStore(null, full);
  await store.open('voorbeeldstad');
  const announce = vi.fn();
  const target = document.createElement('ul');
  document.body.append(target);
  mounted.push(mount(RequestItem, { target, props: { request: store.pending[0], branches: store.branches, store, announce } }));
  flushSync();
  return { target, store, api: full, announce };
}

function select(target: HTMLElement, value: string) {
  const el = target.querySelector<HTMLSelectElement>('[data-testid="request-room"]')!;
  el.value = value;
  el.dispatchEvent(new Event('change', { bubbles: true }));
  flushSync();
}

describe('RequestItem', () => {
  it('offers the rooms, preferred branch first, and approves with the chosen room', async () => {
    const { target, store, api, announce } = await render({
      approveSupport: vi.fn(async (id: number) => makeSupportRequest({ id, state: 'approved' })),
    });
    const options = [...target.querySelectorAll('[data-testid="request-room"] option')].map((o) => o.textContent);
    expect(options).toEqual(['Kies een zaal', 'Zaal 1, Centrale bibliotheek (30 personen)', 'Leeszaal, Noord (8 personen)']);
    select(target, '5');
    target.querySelector<HTMLButtonElement>('[data-testid="request-approve"]')!.click();
    await vi.waitFor(() => expect(announce).toHaveBeenCalledWith('Aanvraag voor Warmtepompen in oude huizen goedgekeurd.'));
    expect(api.approveSupport).toHaveBeenCalledWith(8, { room: 5, note: '' });
    expect(store.pending).toHaveLength(0);
  });

  it('shows room_taken and room_too_small in words, with the room select marked', async () => {
    const { target } = await render({
      approveSupport: vi.fn(async () => Promise.reject(new ApiError(409, { code: 'room_taken', detail: 'x' }))),
    });
    select(target, '4');
    target.querySelector<HTMLButtonElement>('[data-testid="request-approve"]')!.click();
    await vi.waitFor(() => expect(target.querySelector('[data-testid="request-error"]')).not.toBeNull());
    const err = target.querySelector('[data-testid="request-error"]')!;
    expect(err.getAttribute('data-code')).toBe('room_taken');
    expect(err.textContent).toBe('Deze zaal is op dat moment al bezet. Kies een andere zaal.');
    expect(err.getAttribute('role')).toBe('alert');
    expect(target.querySelector('[data-testid="request-room"]')!.getAttribute('aria-invalid')).toBe('true');
  });

  it('asks for a note before declining', async () => {
    const { target, api } = await render({});
    target.querySelector<HTMLButtonElement>('[data-testid="request-decline"]')!.click();
    await tick();
    expect(target.querySelector('[data-testid="request-error"]')!.textContent).toBe('Schrijf kort waarom je de aanvraag afwijst.');
    expect(api.declineSupport).not.toHaveBeenCalled();
  });
});

describe('MeetupItem', () => {
  it('shows the Dutch date in Amsterdam time, the status and the seats; a cancelled one is marked', () => {
    const target = document.createElement('ul');
    document.body.append(target);
    mounted.push(mount(MeetupItem, { target, props: { meetup: makeMeetup({ hybrid: true, in_person: true, online: true }) } }));
    flushSync();
    expect(target.querySelector('time')!.textContent).toBe('do 3 dec 2026, 19:30–21:00');
    expect(target.querySelector('[data-testid="meetup-status"]')!.textContent).toBe('Gepland');
    expect(target.querySelector('[data-testid="meetup-seats"]')!.textContent).toBe('Nog 18 plekken vrij');
    expect(target.textContent).toContain('Hybride');
    const t2 = document.createElement('ul');
    document.body.append(t2);
    mounted.push(mount(MeetupItem, { target: t2, props: { meetup: makeMeetup({ status: 'cancelled', cancel_reason: 'Ziek' }) } }));
    flushSync();
    expect(t2.querySelector('[data-testid="meetup-item"]')!.getAttribute('data-status')).toBe('cancelled');
    expect(t2.textContent).toContain('Deze bijeenkomst is afgelast. Reden: Ziek');
  });
});
