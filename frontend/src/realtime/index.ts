export { RealtimeClient, socketUrl } from './client';
export type { ConnectionStatus, OutboxUpdate, RealtimeEventMap, RealtimeOptions, SendState, WebSocketCtor, WebSocketLike } from './client';
export type * from './protocol';
