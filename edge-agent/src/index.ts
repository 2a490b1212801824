/** @sk/edge-agent: the checkpoint device's agent, its durable outbox, and test support. */
export { EdgeAgent, type EdgeAgentConfig, type SubmitResult, type AgentStats, type EdgeAgentEvents } from './agent.ts';
export { Outbox, OutboxFullError, OutboxClosedError, protocolStats, type OutboxOptions, type OutboxStats, type OutboxHealth, type PendingScan } from './outbox.ts';
export { createLogger, silentLogger, type Logger } from './log.ts';
export { startAgents, type AgentFleet, type FleetDevice } from './fleet.ts';
export { runOutboxBench, type OutboxBenchOptions, type OutboxBenchResult } from './bench-outbox.ts';
export { validScanInput } from './fixtures.ts';
