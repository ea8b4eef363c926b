import type { ConnectionStatus, RealtimeClient } from '../realtime/client';

/** The socket's state for the UI (banner). */
export class ConnectionStore {
  status = $state<ConnectionStatus>('idle');

  constructor(rt: RealtimeClient) {
    this.status = rt.status;
    rt.on('status', ({ status }) => (this.status = status));
  }

  get down(): boolean {
    return this.status === 'reconnecting';
  }
}
