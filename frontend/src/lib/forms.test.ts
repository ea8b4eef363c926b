import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { FormAction } from './forms.svelte';

function formWith(html: string): HTMLFormElement {
  const form = document.createElement('form');
  form.innerHTML = html;
  document.body.append(form);
  return form;
}

describe('FormAction', () => {
  it('is busy while the action runs and clears the last error on a new attempt', async () => {
    let finish!: () => void;
    let fail = true;
    const action = new FormAction(() =>
      fail ? Promise.reject(new ApiError(400, { code: 'validation_error', detail: 'Nee.' })) : new Promise<void>((r) => (finish = r)),
    );
    await action.run();
    expect(action.error?.detail).toBe('Nee.');
    fail = false;
    const running = action.run();
    expect(action.busy).toBe(true);
    expect(action.error).toBeNull();
    finish();
    await running;
    expect(action.busy).toBe(false);
    expect(action.error).toBeNull();
  });

  it('turns anything but an ApiError into a network error', async () => {
    const action = new FormAction(() => Promise.reject(new TypeError('Failed to fetch')));
    await action.run();
    expect(action.error).toMatchObject({ status: 0, code: 'network_error' });
    expect(action.busy).toBe(false);
  });

  it('on submit: prevents the page load and, after a failure, focuses the first invalid field', async () => {
    const form = formWith('<input id="a"><input id="b" aria-invalid="true"><input id="c" aria-invalid="true">');
    const action = new FormAction(() => Promise.reject(new ApiError(400, { code: 'validation_error', detail: '' })));
    let done: Promise<void> | undefined;
    form.addEventListener('submit', (e) => (done = action.submit(e as SubmitEvent & { currentTarget: HTMLFormElement })));
    const event = new Event('submit', { cancelable: true });
    form.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    await done;
    await vi.waitFor(() => expect(document.activeElement?.id).toBe('b'));
    form.remove();
  });
});
