// The join page's states with its REST calls mocked: a wrong, an ended and a rate-limited code; a
// visitor who joins as a guest (name required); a signed-in member who goes on with one button.
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/client';
import { getJoinInfo, joinMeetup, type JoinInfo } from '../../api/live';
import { i18n } from '../../i18n/index.svelte';
import { nl } from '../../i18n/nl';
import { router } from '../../lib/router.svelte';
import JoinPage from './JoinPage.svelte';

vi.mock('../../api/live', async (original) => ({
  ...(await original<typeof import('../../api/live')>()),
  getJoinInfo: vi.fn(),
  joinMeetup: vi.fn(),
}));

const fakeSession = vi.hoisted(() => ({
  status: 'anonymous' as 'anonymous' | 'authenticated' | 'loading',
  me: null as null | { id: number; display_name: string; is_guest?: boolean },
  signedOut: vi.fn(),
  refresh: vi.fn(async () => {}),
}));
vi.mock('../../stores', () => ({ session: fakeSession }));

const INFO: JoinInfo = {
  meetup: {
    id: 5,
    title: 'Samen besparen op energie',
    starts_at: '2026-12-03T18:30:00Z',
    ends_at: '2026-12-03T20:00:00Z',
    group: { slug: 'energie-en-klimaat', name: 'Energie en klimaat' },
  },
  live: true,
};

const mounted: Record<string, unknown>[] = [];
beforeEach(() => {
  fakeSession.status = 'anonymous';
  fakeSession.me = null;
  fakeSession.refresh.mockClear();
  fakeSession.signedOut.mockClear();
  vi.mocked(joinMeetup).mockReset();
  vi.mocked(getJoinInfo).mockReset();
  history.replaceState(null, '', '/m/K7P9QX');
  router.navigate('/m/K7P9QX', { replace: true });
});
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c);
  document.body.innerHTML = '';
  i18n.set('nl');
});

async function render(code = 'k7p9qx') {
  const target = document.createElement('div');
  document.body.append(target);
  mounted.push(mount(JoinPage, { target, props: { code } }));
  await vi.waitFor(() => expect(target.querySelector('[data-testid="join-page"]')?.getAttribute('data-state')).not.toBe('loading'));
  flushSync();
  return target;
}
const $ = (t: HTMLElement, id: string) => t.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe('JoinPage', () => {
  it.each([
    [404, 'join_code_invalid', nl.errors.join_code_invalid],
    [410, 'join_code_expired', nl.errors.join_code_expired],
    [429, 'join_rate_limited', nl.errors.join_rate_limited],
  ])('explains a %s %s in Dutch', async (status, code, text) => {
    vi.mocked(getJoinInfo).mockRejectedValue(new ApiError(status, { code, detail: 'server text' }));
    const t = await render();
    const error = $(t, 'join-error')!;
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.dataset.code).toBe(code);
    expect(error.textContent).toBe(text);
    expect($(t, 'join-guest-form')).toBeNull();
    expect(getJoinInfo).toHaveBeenCalledWith('k7p9qx');
  });

  it('lets a visitor join as a guest with a name only, then opens the live page', async () => {
    vi.mocked(getJoinInfo).mockResolvedValue(INFO);
    vi.mocked(joinMeetup).mockResolvedValue({ meetup: 5, thread: 12, group: 'energie-en-klimaat', guest: true });
    const t = await render();
    expect($(t, 'join-meetup-title')!.textContent).toBe('Samen besparen op energie');
    expect($(t, 'join-group')!.textContent).toBe('Energie en klimaat');
    expect($(t, 'join-when')!.textContent).toBe('do 3 dec 2026, 19:30–21:00');
    const input = $(t, 'join-name') as HTMLInputElement;
    expect(t.querySelector(`label[for="${input.id}"]`)!.textContent).toBe('Je naam (zoals anderen je zien)');
    expect($(t, 'join-signup')).not.toBeNull();

    // Empty: a clear error tied to the field, nothing sent.
    $(t, 'join-submit')!.click();
    flushSync();
    expect($(t, 'join-name-error')!.textContent).toBe(nl.live.joinNameRequired);
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toContain('join-name-error');
    expect(joinMeetup).not.toHaveBeenCalled();

    input.value = '  Gast Ellen ';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    $(t, 'join-submit')!.click();
    await vi.waitFor(() => expect(router.path).toBe('/bijeenkomsten/5/live'));
    expect(joinMeetup).toHaveBeenCalledWith('k7p9qx', 'Gast Ellen');
    expect(fakeSession.refresh).toHaveBeenCalled();
  });

  it('shows a refused join (rate limited) with its message and stays on the page', async () => {
    vi.mocked(getJoinInfo).mockResolvedValue(INFO);
    vi.mocked(joinMeetup).mockRejectedValue(new ApiError(429, { code: 'join_rate_limited', detail: 'x' }));
    const t = await render();
    const input = $(t, 'join-name') as HTMLInputElement;
    input.value = 'Ellen';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    $(t, 'join-submit')!.click();
    await vi.waitFor(() => expect($(t, 'join-error')?.textContent).toBe(nl.errors.join_rate_limited));
    expect(router.path).toBe('/m/K7P9QX');
  });

  it('lets a signed-in member continue with one button', async () => {
    fakeSession.status = 'authenticated';
    fakeSession.me = { id: 3, display_name: 'Bram' };
    vi.mocked(getJoinInfo).mockResolvedValue({ ...INFO, live: false });
    vi.mocked(joinMeetup).mockResolvedValue({ meetup: { id: 5 }, thread: 12, group: { slug: 'energie-en-klimaat' }, guest: false });
    const t = await render();
    expect($(t, 'join-name')).toBeNull();
    expect($(t, 'join-not-live')).not.toBeNull();
    expect($(t, 'join-member-form')!.textContent).toContain('Bram');
    $(t, 'join-submit')!.click();
    await vi.waitFor(() => expect(router.path).toBe('/bijeenkomsten/5/live'));
    expect(fakeSession.refresh).not.toHaveBeenCalled();
  });

  it('asks for a code when there is none', async () => {
    const t = await render('');
    expect($(t, 'join-code-form')).not.toBeNull();
    const input = $(t, 'join-code-input') as HTMLInputElement;
    input.value = 'ab cd-23';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    $(t, 'join-code-submit')!.click();
    expect(router.path).toBe('/m/ABCD23');
  });
});
