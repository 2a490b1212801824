/**
 * Many agents in one process (simulators, tests): each EdgeAgent is just one mqtt.js client, one
 * outbox file handle and two timers, so 40 of them are cheap. Starts them in parallel, stops all.
 */
import { join } from 'node:path';
import { EdgeAgent, type EdgeAgentConfig } from './agent.ts';

export interface AgentFleet {
  agents: EdgeAgent[];
  byDevice(deviceId: string): EdgeAgent | undefined;
  /** Sum of every outbox's depth: 0 once the server acknowledged everything. */
  pending(): number;
  stop(): Promise<void>;
}

export interface FleetDevice { checkpointId: string; deviceId: string; password?: string }

/** `startAgents({ brokerUrls, dataRoot: '/tmp/x' }, [{ checkpointId: 'ketapang', deviceId: 'ketapang-01' }])` */
export async function startAgents(
  shared: Omit<EdgeAgentConfig, 'checkpointId' | 'deviceId' | 'dataDir' | 'password'> & { dataRoot: string },
  devices: FleetDevice[],
): Promise<AgentFleet> {
  const { dataRoot, ...rest } = shared;
  const agents = devices.map((d) => new EdgeAgent({ ...rest, ...d, dataDir: join(dataRoot, d.deviceId) }));
  await Promise.all(agents.map((a) => a.start()));
  return {
    agents,
    byDevice: (id) => agents.find((a) => a.config.deviceId === id),
    pending: () => agents.reduce((n, a) => n + a.stats().outbox.depth, 0),
    stop: async () => {
      await Promise.all(agents.map((a) => a.stop()));
    },
  };
}
