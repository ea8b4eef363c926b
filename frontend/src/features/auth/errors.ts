import { ApiError, NETWORK_ERROR } from '../../api/client';

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, { code: NETWORK_ERROR, detail: '' });
}
