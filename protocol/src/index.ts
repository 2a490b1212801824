/** @sk/protocol: browser-safe part of the wire contract (no Node APIs). Node-only: `@sk/protocol/nik`, `@sk/protocol/regions`. */
export * from './topics.ts';
export * from './checkpoints.ts';
export * from './schemas.ts';
export * from './events.ts';
export * from './arrival-batch.ts';
export * from './alerts.ts';
export * from './follow-ups.ts';
export * from './clock.ts';
export { parseNik, parseKk, maskNik, todayWib, isValidDate, NIK_ERROR_EN } from './nik-core.ts';
export type { RegionLookup, ParsedNik, NikFailure, NikError, NikWarning, ParsedKk, KkFailure } from './nik-core.ts';
export * from './aid.ts';
export * from './puskesmas.ts';
