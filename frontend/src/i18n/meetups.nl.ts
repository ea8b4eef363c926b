// Dutch strings of the meetups screens (merged into nl.ts under `meetups`); meetups.en.ts mirrors them.
export const meetupsNl = {};
