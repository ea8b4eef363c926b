// The app's live meetup store (live page, projector), wired to the one realtime client.
import { groups, rt, session } from './index';
import { LiveStore, wireLive } from './live.svelte';

export const live = new LiveStore({ rt, groups, session });
wireLive(rt, live);
