/** The edge agent's public types: its configuration, submit result, stats and events. */
import type { DeviceStatus } from '@sk/protocol';
import type { RejectReason } from '@sk/protocol/validate';
import type { Logger } from './log.ts';
import type { OutboxHealth } from './outbox.ts';

export interface EdgeAgentConfig {
  /** Tried in order; on a lost connection the next one is used (round robin). */
  brokerUrls: string[];
  checkpointId: string;
  deviceId: string;
  /** MQTT password (the device secret); the username is the deviceId. */
  password?: string;
  dataDir: string;
  version?: string;
  retransmitAfterMs?: number;
  maxInFlight?: number;
  /** A backlog is published up to this many scans per MQTT message (1…64, default 32; 1 = one scan per message). */
  maxScansPerMessage?: number;
  statusIntervalMs?: number;
  outboxMaxBytes?: number;
  reconnectPeriodMs?: number;
  logger?: Logger;
  /** Injectable clock (ms since epoch), for tests: the device's own wall clock, which may be wrong (issue 17). */
  now?: () => number;
  /** Injectable monotonic clock (ms), for tests; default CLOCK_MONOTONIC (device-clock-io.ts). */
  monoNow?: () => number;
  /** This boot's id, tying a saved clock anchor to it; default Linux's, null = never reuse a saved anchor. */
  bootId?: string | null;
}

export type SubmitResult =
  | { ok: true; scanId: string; seq: number }
  | { ok: false; reason: RejectReason | 'outbox_full' | 'storage_error' | 'not_running'; message: string };

export interface AgentStats {
  connected: boolean;
  outbox: OutboxHealth;
  inFlight: number;
  /** Scans published (first sends and retransmits). */
  published: number;
  /** MQTT messages those scans travelled in (fewer than `published` while a backlog drains in batches). */
  messages: number;
  retransmits: number;
  acked: number;
  accepted: number;
  rejected: number;
  lastScanAt: string | null;
  /** Device wall clock minus server time; null until the server's time is known. */
  clockSkewMs: number | null;
  /** True once the agent stamps scans with the server's time (before that they say `untrustedTime`). */
  clockTrusted: boolean;
}

export interface EdgeAgentEvents {
  acked: [{ count: number; ranges: [number, number][] }];
  status: [DeviceStatus];
  error: [Error];
  connected: [];
  disconnected: [];
}
