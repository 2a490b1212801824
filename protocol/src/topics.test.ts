import { describe, expect, it } from 'vitest';
import { CHECKPOINTS } from './checkpoints.ts';
import { loadRegions } from './regions.ts';
import { deviceTopic, parseDeviceTopic, SERVER_SUBSCRIPTIONS, topicMatches } from './topics.ts';

describe('topics', () => {
  it('builds and parses device topics', () => {
    const t = deviceTopic('ketapang', 'ketapang-01', 'scans');
    expect(t).toBe('sk/v1/checkpoints/ketapang/devices/ketapang-01/scans');
    expect(parseDeviceTopic(t)).toEqual({ checkpointId: 'ketapang', deviceId: 'ketapang-01', kind: 'scans' });
    expect(topicMatches(SERVER_SUBSCRIPTIONS.scans, t)).toBe(true);
    expect(topicMatches(SERVER_SUBSCRIPTIONS.status, t)).toBe(false);
  });

  it.each(['Ketapang', 'a/b', '+', '#', '', 'x'.repeat(33), 'kétapang'])('refuses the id %j', (id) => {
    expect(() => deviceTopic(id, 'dev-1', 'scans')).toThrow();
    expect(() => deviceTopic('ketapang', id, 'scans')).toThrow();
  });

  it.each([
    'sk/v1/checkpoints/ketapang/devices/k1/other',
    'sk/v2/checkpoints/ketapang/devices/k1/scans',
    'sk/v1/checkpoints/+/devices/k1/scans',
    'sk/v1/checkpoints/ketapang/devices/k1/scans/extra',
    'sk/v1/checkpoints/ketapang/devs/k1/scans',
    'sk/v1/checkpoints//devices/k1/scans',
  ])('parseDeviceTopic(%j) is null', (t) => {
    expect(parseDeviceTopic(t)).toBeNull();
  });

  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['a/+', 'a/b/c', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
  ])('topicMatches(%j, %j) = %s', (f, t, expected) => {
    expect(topicMatches(f, t)).toBe(expected);
  });
});

describe('checkpoints', () => {
  it('lie in real Banyuwangi districts', () => {
    const r = loadRegions();
    expect(CHECKPOINTS.map((c) => [c.id, r.district(c.districtCode)])).toEqual([
      ['ketapang', 'Kalipuro'],
      ['wongsorejo', 'Wongsorejo'],
      ['kalibaru', 'Kalibaru'],
      ['blimbingsari', 'Blimbingsari'],
    ]);
  });
});
