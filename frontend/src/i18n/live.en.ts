import type { liveNl } from './live.nl';

export const liveEn: typeof liveNl = {};
