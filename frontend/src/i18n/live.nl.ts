// Dutch strings of the live screens (merged into nl.ts under `live`); live.en.ts mirrors them.
export const liveNl = {};
