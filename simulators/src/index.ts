/** @sk/simulators: traveller and traffic generators and the edge-agent fleet, for tests and bench/. */
export { Rng } from './rng.ts';
export { loadWorld, type World, type OriginRegency } from './world.ts';
export { TravellerGenerator, generateTravellers, makeNik, DEFAULT_HEALTH_RATES, type Traveller, type TravellerOptions, type HealthRates } from './travellers.ts';
export { arrivals, schedule, rateMultiplier, hourOfDayWib, HOURLY_RHYTHM, type Arrival, type TrafficOptions } from './traffic.ts';
export { Fleet, deviceIdFor, edgeAgentFactory, type FleetOptions, type FleetStats, type AgentLike, type AgentConfig, type AgentFactory, type SubmitResult } from './fleet.ts';
export { AckObserver } from './ack-observer.ts';
export { Ledger, readLedger, reconcile, type LedgerEntry, type Reconciliation } from './ledger.ts';
export { verifyStored, type VerifyResult } from './verify.ts';
export { LatencyRecorder } from './latency.ts';
// The card renderer (cards-render.ts) needs playwright-core: import it from its file, not from here.
export { ktpFields, ktpCardHtml, cardAddress, CARD_VARIANTS, DEGRADED_VARIANTS, type CardVariant, type CardTruth, type KtpFields } from './ktp-card.ts';
