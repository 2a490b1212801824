import { describe, expect, it } from 'vitest';
import { SERVER_SUBSCRIPTIONS } from '@sk/protocol';
import { canPublish, canSubscribe } from './acl.ts';
import type { Identity } from './credentials.ts';

const dev: Identity = { id: 'ketapang-01', kind: 'device', checkpointId: 'ketapang' };
const server: Identity = { id: 'ingest', kind: 'server' };
const own = (kind: string) => `sk/v1/checkpoints/ketapang/devices/ketapang-01/${kind}`;

describe('canPublish for a device', () => {
  it.each([
    ['its own scans', own('scans'), true],
    ['its own status', own('status'), true],
    ['its own acks (only the server acks)', own('acks'), false],
    ['another device at its checkpoint', 'sk/v1/checkpoints/ketapang/devices/ketapang-02/scans', false],
    ['itself at another checkpoint', 'sk/v1/checkpoints/kalibaru/devices/ketapang-01/scans', false],
    ['another device at another checkpoint', 'sk/v1/checkpoints/kalibaru/devices/kalibaru-01/status', false],
    ['an unknown kind', own('config'), false],
    ['a deeper level', `${own('scans')}/x`, false],
    ['a trailing slash', `${own('scans')}/`, false],
    ['a + wildcard', 'sk/v1/checkpoints/ketapang/devices/+/scans', false],
    ['a # wildcard', 'sk/v1/checkpoints/ketapang/#', false],
    ['$SYS', '$SYS/broker/heartbeat', false],
    ['the root', 'sk/v1', false],
    ['an empty topic', '', false],
    ['a NUL character', `${own('scans')}\u0000`, false],
    ['upper case', 'sk/v1/checkpoints/KETAPANG/devices/ketapang-01/scans', false],
    ['another version', 'sk/v2/checkpoints/ketapang/devices/ketapang-01/scans', false],
    ['a leading slash', `/${own('scans')}`, false],
  ])('%s: %s → %s', (_why, topic, allowed) => {
    expect(canPublish(dev, topic)).toBe(allowed);
  });
});

describe('canSubscribe for a device', () => {
  it.each([
    ['its own acks', own('acks'), true],
    ['its own scans', own('scans'), false],
    ['its own status', own('status'), false],
    ['another device acks', 'sk/v1/checkpoints/ketapang/devices/ketapang-02/acks', false],
    ['all acks at its checkpoint', 'sk/v1/checkpoints/ketapang/devices/+/acks', false],
    ['a # below itself', 'sk/v1/checkpoints/ketapang/devices/ketapang-01/#', false],
    ['everything', '#', false],
    ['the server scans subscription', SERVER_SUBSCRIPTIONS.scans, false],
    ['$SYS', '$SYS/#', false],
    ['an empty filter', '', false],
    ['the server clock (issue 17)', 'sk/v1/time', true],
    ['below the server clock', 'sk/v1/time/#', false],
  ])('%s: %s → %s', (_why, filter, allowed) => {
    expect(canSubscribe(dev, filter)).toBe(allowed);
  });
});

describe('canPublish for a server', () => {
  it.each([
    ['a device acks', own('acks'), true],
    ['another device acks', 'sk/v1/checkpoints/kalibaru/devices/kalibaru-02/acks', true],
    ['a device status (e.g. clearing a stale retained one)', own('status'), true],
    ['something else under sk/v1', 'sk/v1/server/status', true],
    ['the server clock', 'sk/v1/time', true],
    ['a device scans (forgery)', own('scans'), false],
    ['scans of a malformed id its + subscription would still receive', 'sk/v1/checkpoints/X/devices/Y/scans', false],
    ['scans with empty ids', 'sk/v1/checkpoints//devices//scans', false],
    ['outside sk/v1', 'other/topic', false],
    ['the bare root', 'sk/v1', false],
    ['$SYS', '$SYS/abc/heartbeat', false],
    ['a + wildcard', 'sk/v1/checkpoints/+/devices/+/acks', false],
    ['a # wildcard', 'sk/v1/#', false],
    ['an empty topic', '', false],
  ])('%s: %s → %s', (_why, topic, allowed) => {
    expect(canPublish(server, topic)).toBe(allowed);
  });
});

describe('canSubscribe for a server', () => {
  it.each([
    ['the scans subscription', SERVER_SUBSCRIPTIONS.scans, true],
    ['the status subscription', SERVER_SUBSCRIPTIONS.status, true],
    ['everything under sk/v1', 'sk/v1/#', true],
    ['#', '#', true],
    ['one device', own('scans'), true],
    ['$SYS', '$SYS/#', false],
    ['a shared subscription', '$share/g/sk/v1/#', false],
    ['outside sk/v1', 'other/#', false],
    ['a leading +', '+/v1/#', false],
    ['# not last', 'sk/v1/#/scans', false],
    ['# inside a level', 'sk/v1/checkpoints#', false],
    ['+ inside a level', 'sk/v1/checkpoints/ket+/devices', false],
    ['an empty filter', '', false],
  ])('%s: %s → %s', (_why, filter, allowed) => {
    expect(canSubscribe(server, filter)).toBe(allowed);
  });
});

describe('malformed identities get nothing', () => {
  const noCheckpoint: Identity = { id: 'ketapang-01', kind: 'device' };
  const badCheckpoint: Identity = { id: 'ketapang-01', kind: 'device', checkpointId: 'Ketapang/#' };
  const unknownKind = { id: 'x', kind: 'admin' } as unknown as Identity;
  it.each([
    ['device without checkpoint', noCheckpoint],
    ['device with a malformed checkpoint', badCheckpoint],
    ['unknown kind', unknownKind],
  ])('%s', (_why, identity) => {
    for (const t of [own('scans'), own('status'), own('acks'), 'sk/v1/x']) expect(canPublish(identity, t)).toBe(false);
    for (const f of [own('acks'), '#', 'sk/v1/#']) expect(canSubscribe(identity, f)).toBe(false);
  });
});

// Issue 6: bansos distribution points and puskesmas devices, each pinned to its own desa / puskesmas.
const V = '35.10.21.2001';
const OTHER_V = '35.10.21.2002';
const pos: Identity = { id: 'pos-01', kind: 'village-device', villageCode: V };
const pusk: Identity = { id: 'sobo-01', kind: 'puskesmas-device', puskesmasId: 'sobo' };
const village = (kind: string, v = V, dev = 'pos-01') => `sk/v1/villages/${v}/devices/${dev}/${kind}`;
const report = (p = 'sobo', dev = 'sobo-01') => `sk/v1/puskesmas/${p}/devices/${dev}/reports`;

describe('canPublish for a distribution-point (village) device', () => {
  it.each([
    ['its own handouts', village('aid'), true],
    ['its own results (only the server answers)', village('aid-result'), false],
    ['handouts for another village', village('aid', OTHER_V), false],
    ['handouts as another device of its village', village('aid', V, 'pos-02'), false],
    ['another device of another village', village('aid', OTHER_V, 'pos-02'), false],
    ['a + wildcard village', 'sk/v1/villages/+/devices/pos-01/aid', false],
    ['a # below its village', `sk/v1/villages/${V}/#`, false],
    ['a deeper level', `${village('aid')}/x`, false],
    ['a checkpoint scan under its own id', 'sk/v1/checkpoints/ketapang/devices/pos-01/scans', false],
    ['a checkpoint status under its own id', 'sk/v1/checkpoints/ketapang/devices/pos-01/status', false],
    ['a puskesmas report under its own id', report('sobo', 'pos-01'), false],
    ['an unknown kind', village('status'), false],
    ['$SYS', '$SYS/broker/heartbeat', false],
    ['an empty topic', '', false],
    ['a NUL character', `${village('aid')}\u0000`, false],
  ])('%s: %s → %s', (_why, topic, allowed) => {
    expect(canPublish(pos, topic)).toBe(allowed);
  });
});

describe('canSubscribe for a distribution-point (village) device', () => {
  it.each([
    ['its own results', village('aid-result'), true],
    ['its own handouts', village('aid'), false],
    ['another village results', village('aid-result', OTHER_V), false],
    ['another device results in its village', village('aid-result', V, 'pos-02'), false],
    ['all results of its village', `sk/v1/villages/${V}/devices/+/aid-result`, false],
    ['all results everywhere', 'sk/v1/villages/+/devices/+/aid-result', false],
    ['a # below itself', village('#'), false],
    ['everything', '#', false],
    ['checkpoint acks under its own id', 'sk/v1/checkpoints/ketapang/devices/pos-01/acks', false],
    ['$SYS', '$SYS/#', false],
    ['an empty filter', '', false],
  ])('%s: %s → %s', (_why, filter, allowed) => {
    expect(canSubscribe(pos, filter)).toBe(allowed);
  });
});

describe('canPublish / canSubscribe for a puskesmas device', () => {
  it.each([
    ['its own report', report(), true],
    ['another puskesmas report', report('kelir'), false],
    ['another device of its puskesmas', report('sobo', 'sobo-02'), false],
    ['a + wildcard', 'sk/v1/puskesmas/+/devices/sobo-01/reports', false],
    ['a handout under its own id', village('aid', V, 'sobo-01'), false],
    ['a scan under its own id', 'sk/v1/checkpoints/sobo/devices/sobo-01/scans', false],
    ['a deeper level', `${report()}/x`, false],
    ['$SYS', '$SYS/broker/heartbeat', false],
  ])('publish %s: %s → %s', (_why, topic, allowed) => {
    expect(canPublish(pusk, topic)).toBe(allowed);
  });
  it.each([
    ['its own report topic', report()],
    ['every report', 'sk/v1/puskesmas/+/devices/+/reports'],
    ['a result topic', village('aid-result', V, 'sobo-01')],
    ['checkpoint acks', 'sk/v1/checkpoints/sobo/devices/sobo-01/acks'],
    ['everything', '#'],
  ])('subscribe %s: %s → refused (it needs no replies)', (_why, filter) => {
    expect(canSubscribe(pusk, filter)).toBe(false);
  });
});

describe('a server may answer devices but never forge what they report', () => {
  it.each([
    ['a handout', village('aid'), false],
    ['a handout with malformed ids', 'sk/v1/villages/X/devices/Y/aid', false],
    ['a puskesmas report', report(), false],
    ['a puskesmas report with malformed ids', 'sk/v1/puskesmas/X/devices/Y/reports', false],
    ['a handout result', village('aid-result'), true],
  ])('%s: %s → %s', (_why, topic, allowed) => {
    expect(canPublish(server, topic)).toBe(allowed);
  });
  it.each([['the aid subscription', 'sk/v1/villages/+/devices/+/aid'], ['the puskesmas subscription', 'sk/v1/puskesmas/+/devices/+/reports']])('subscribes to %s', (_why, filter) => {
    expect(canSubscribe(server, filter)).toBe(true);
  });
});

describe('malformed village and puskesmas identities get nothing', () => {
  it.each([
    ['village device without a village', { id: 'pos-01', kind: 'village-device' } as Identity],
    ['village device with a wildcard village', { id: 'pos-01', kind: 'village-device', villageCode: '+' } as Identity],
    ['village device with a checkpoint instead', { id: 'pos-01', kind: 'village-device', checkpointId: 'ketapang' } as Identity],
    ['puskesmas device without a puskesmas', { id: 'sobo-01', kind: 'puskesmas-device' } as Identity],
    ['puskesmas device with a # puskesmas', { id: 'sobo-01', kind: 'puskesmas-device', puskesmasId: '#' } as Identity],
    ['village device with an upper-case id', { id: 'POS-01', kind: 'village-device', villageCode: V } as Identity],
  ])('%s', (_why, identity) => {
    for (const t of [village('aid'), village('aid', V, identity.id), report(), report('sobo', identity.id), 'sk/v1/checkpoints/ketapang/devices/pos-01/scans']) expect(canPublish(identity, t)).toBe(false);
    for (const f of [village('aid-result'), village('aid-result', V, identity.id), '#', 'sk/v1/#']) expect(canSubscribe(identity, f)).toBe(false);
  });
});

describe('the server clock topic (issue 17)', () => {
  it('every kind of device may read it and none may write it', () => {
    const devices: Identity[] = [dev, { id: 'pos-01', kind: 'village-device', villageCode: '35.10.21.2001' }, { id: 'pkm-01', kind: 'puskesmas-device', puskesmasId: 'pkm-kalipuro' }];
    for (const d of devices) {
      expect(canSubscribe(d, 'sk/v1/time')).toBe(true);
      expect(canPublish(d, 'sk/v1/time')).toBe(false);
    }
  });
  it('a malformed identity may not read it either', () => {
    expect(canSubscribe({ id: 'Bad Id', kind: 'device', checkpointId: 'ketapang' }, 'sk/v1/time')).toBe(false);
  });
});
