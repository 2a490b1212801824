import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { EdgeAgent, SubmitResult } from '../agent.ts';
import { validScanInput } from '../fixtures.ts';
import { OfficerDesk } from './desk.ts';

/** A stand-in agent: records what it was given, answers as a running agent after its fsync would. */
function fakeAgent() {
  const given: unknown[] = [];
  const agent = Object.assign(new EventEmitter(), {
    config: { checkpointId: 'ketapang', deviceId: 'ketapang-01' },
    submit: async (input: unknown): Promise<SubmitResult> => (given.push(input), { ok: true, scanId: `01JD${String(given.length).padStart(22, '0')}`, seq: given.length }),
    stats: () => ({ connected: true, outbox: { depth: 1, oldestAgeSec: 3, diskBytes: 10, diskLimitBytes: 100, warning: false }, clockSkewMs: -12 }),
  });
  return { agent: agent as unknown as EdgeAgent, given };
}

describe('OfficerDesk', () => {
  it('names the officer on duty in each scan, lists it with a masked NIK, and marks it received on the ack', async () => {
    const { agent, given } = fakeAgent();
    const desk = new OfficerDesk(agent);
    desk.start();
    expect(desk.setOfficer('Bu-Rina')).toBeNull();
    const r = await desk.submit(validScanInput(1));
    expect(r.ok).toBe(true);
    expect(given[0]).toMatchObject({ officer: 'bu-rina' });
    const [entry] = desk.snapshot().entries;
    const nik = validScanInput(1).nik;
    expect(entry).toMatchObject({ seq: 1, state: 'stored', nikMasked: `${nik.slice(0, 6)}********${nik.slice(14)}` });
    expect(JSON.stringify(desk.snapshot())).not.toContain(validScanInput(1).nik);
    (agent as unknown as EventEmitter).emit('acked', { count: 1, ranges: [[1, 1]] });
    expect(desk.snapshot().entries[0]!.state).toBe('acked');
    expect(desk.snapshot().status).toMatchObject({ officer: 'bu-rina', connected: true, depth: 1, clockSkewMs: -12 });
    desk.stop();
  });

  it.each([['a name with a space', 'Bu Rina'], ['a control character', 'bu\nrina'], ['not a string', 7], ['too long', 'x'.repeat(33)]])('refuses an officer id with %s', (_, id) => {
    const desk = new OfficerDesk(fakeAgent().agent);
    expect(desk.setOfficer(id)).toMatch(/ID petugas/);
    expect(desk.officer).toBeNull();
  });

  it('keeps the officer a form names itself, and sends v1 input unchanged when nobody is on duty', async () => {
    const { agent, given } = fakeAgent();
    const desk = new OfficerDesk(agent);
    await desk.submit(validScanInput(2));
    expect(given[0]).not.toHaveProperty('officer');
    desk.setOfficer('petugas-07');
    await desk.submit({ ...validScanInput(3), officer: 'bu-rina' });
    expect(given[1]).toMatchObject({ officer: 'bu-rina' });
  });
});
