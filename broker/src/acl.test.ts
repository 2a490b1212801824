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
