import type { meetupsNl } from './meetups.nl';

export const meetupsEn: typeof meetupsNl = {};
