import { tick } from 'svelte';
import { ApiError, NETWORK_ERROR } from '../api/client';

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, { code: NETWORK_ERROR, detail: '' });
}

/** After a failed submit, take the keyboard (and screen reader) to the first field with an error. */
export async function focusFirstInvalid(form: HTMLFormElement | null): Promise<void> {
  await tick();
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

/**
 * One API call behind a form: `busy` while it runs, `error` from its last failure (any error becomes
 * an `ApiError`), and after a failed submit the first field with an error gets the focus.
 *
 * ```svelte
 * const login = new FormAction(() => session.login(email, password));
 * <FormErrors error={login.error} inline={['email']} />
 * <form onsubmit={login.submit} aria-busy={login.busy}>…</form>
 * ```
 */
export class FormAction {
  busy = $state(false);
  error = $state<ApiError | null>(null);

  constructor(private readonly action: () => Promise<unknown>) {}

  /** The form's `onsubmit` handler. */
  readonly submit = (event: SubmitEvent & { currentTarget: HTMLFormElement }): Promise<void> => {
    event.preventDefault();
    return this.run(event.currentTarget);
  };

  /** Runs the action; after a failure the first invalid field of `form`, if given, gets the focus. */
  async run(form: HTMLFormElement | null = null): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      await this.action();
    } catch (err) {
      this.error = asApiError(err);
      if (form) void focusFirstInvalid(form);
    } finally {
      this.busy = false;
    }
  }
}
