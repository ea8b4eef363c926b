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
