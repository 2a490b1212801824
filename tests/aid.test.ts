/**
 * Issue 6, social aid, against the real thing: aedes, private influxd, the server, socket.io clients
 * of three villages and the command centre, a distribution-point device over MQTT, and a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { villageDeviceTopic, type AidAlarm, type AidAuditEntry, type AidCheckResult, type AidImportReport, type AidRecordResult } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import type { RunningServer } from '@sk/server';
import { AidKeys, keyHex } from '../server/src/aid/keys.ts';
import { bootServer, liveSocket, publisher, signIn, startBareBroker, startInflux, tempDir, until, type LiveSocket } from './server-fixtures.ts';

const villages = loadRegions().villages;
const [A, B, C] = [villages[0]!.code, villages[40]!.code, villages[80]!.code];
let serial = 1;
/** A valid Kalipuro NIK; women add 40 to the day. */
const nik = (day = 12, female = false) => `351021${String(female ? day + 40 : day).padStart(2, '0')}0790${String(serial++).padStart(4, '0')}`;
const kk = () => `3510212304${String(15)}${String(serial++).padStart(4, '0')}`;

describe('double aid across villages', () => {
  let broker: Awaited<ReturnType<typeof startBareBroker>>;
  let influx: Awaited<ReturnType<typeof startInflux>>;
  let server: RunningServer;
  const dataDir = tempDir('aid');
  const cookies: Record<string, string> = {};
  const sockets: LiveSocket[] = [];
  const got: Record<string, AidAlarm[]> = { A: [], B: [], C: [], cmd: [] };
  const env = () => ({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: dataDir });

  const post = async <T>(who: string, path: string, body: unknown, csv = false) => {
    const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie: cookies[who]!, 'content-type': csv ? 'text/csv' : 'application/json' }, body: csv ? (body as string) : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { ok: boolean; data: T; error?: { message: string } } };
  };
  const get = async <T>(who: string, path: string) => (await (await fetch(`${server.url}${path}`, { headers: { cookie: cookies[who]! } })).json()) as { ok: boolean; data: T };
  const handout = (village: string, over: Record<string, string> = {}) => ({ handoutId: ulid(), programmeId: 'bst', nik: nik(), kk: kk(), name: `Warga ${serial}`, birthDate: '1990-07-12', villageCode: village, date: '2026-11-28', ...over });
  const connect = async (key: string, who: string) => {
    const s = liveSocket(server, cookies[who]);
    s.on('aid:alarm', (a) => got[key]!.push(a));
    sockets.push(s);
    await new Promise<void>((r) => s.once('hello', () => r()));
  };

  beforeAll(async () => {
    [broker, influx] = await Promise.all([startBareBroker(), startInflux()]);
    server = await bootServer(env());
    cookies.cmd = await signIn(server, dataDir, 'komando', 'command');
    cookies.A = await signIn(server, dataDir, 'desa-a', 'village', { villageCode: A });
    cookies.B = await signIn(server, dataDir, 'desa-b', 'village', { villageCode: B });
    cookies.C = await signIn(server, dataDir, 'desa-c', 'village', { villageCode: C });
    await Promise.all([connect('A', 'A'), connect('B', 'B'), connect('C', 'C'), connect('cmd', 'cmd')]);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await server?.close();
    await Promise.all([broker?.close(), influx?.cleanup()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the same NIK, programme and period in two villages: both villages and the command centre get the alarm, a third village does not', async () => {
    const first = handout(A);
    expect((await post<AidRecordResult>('A', '/api/aid/handouts', first)).body.data.status).toBe('recorded');
    const check = await post<AidCheckResult>('B', '/api/aid/check', { programmeId: 'bst', nik: first.nik, villageCode: B, date: '2026-11-30' });
    expect(check.body.data).toMatchObject({ ok: false, matches: [{ kind: 'same_nik', villageCode: A, period: '2026-11' }] });
    const second = await post<AidRecordResult>('B', '/api/aid/handouts', { ...handout(B), nik: first.nik });
    expect(second.status).toBe(201);
    expect(second.body.data).toMatchObject({ status: 'double', matches: [{ kind: 'same_nik', severity: 'critical', villageCode: A }] });
    const id = second.body.data.alarmId;
    await until('alarm on A, B and command', () => [got.A, got.B, got.cmd].every((l) => l!.some((a) => a.id === id)));
    expect(got.A!.find((a) => a.id === id)!.villages.sort()).toEqual([A, B].sort());
    // C's first alarm must be a later one that involves C: it never saw the A/B alarm.
    const third = await post<AidRecordResult>('C', '/api/aid/handouts', { ...handout(C), nik: first.nik });
    await until('alarm on C', () => got.C!.length > 0);
    expect(got.C!.map((a) => a.id)).toEqual([third.body.data.alarmId]);
    expect((await get<AidAlarm[]>('C', '/api/aid/alarms')).data.map((a) => a.id)).not.toContain(id);
  });

  it('the same handout redelivered is not a double', async () => {
    const h = handout(A);
    expect((await post<AidRecordResult>('A', '/api/aid/handouts', h)).body.data.status).toBe('recorded');
    expect((await post<AidRecordResult>('A', '/api/aid/handouts', h)).body.data).toMatchObject({ status: 'redelivered', alarmId: null });
  });

  it('same KK (household programme), conflicting programmes and possible doubles by name + birth date', async () => {
    const family = kk();
    await post('A', '/api/aid/handouts', handout(A, { kk: family }));
    expect((await post<AidRecordResult>('A', '/api/aid/handouts', handout(A, { kk: family }))).body.data.matches.map((m) => m.kind)).toEqual(['same_kk']);

    const p = handout(A, { programmeId: 'bpnt' });
    await post('A', '/api/aid/handouts', p);
    const conflict = (await post<AidRecordResult>('B', '/api/aid/handouts', handout(B, { programmeId: 'bst', nik: p.nik, kk: p.kk }))).body.data;
    expect(conflict.matches.map((m) => [m.kind, m.programmeId])).toContainEqual(['conflict', 'bpnt']);

    await post('A', '/api/aid/handouts', handout(A, { name: 'Hj. Siti Rahayu', birthDate: '1971-03-09', programmeId: 'bansos-bwi' }));
    const maybe = (await post<AidRecordResult>('B', '/api/aid/handouts', handout(B, { name: 'SITI RAHAYU', birthDate: '1971-03-09', programmeId: 'bansos-bwi' }))).body.data;
    expect(maybe).toMatchObject({ status: 'double', matches: [{ kind: 'possible_double', severity: 'minor', villageCode: A }] });
  });

  it('a village officer cannot record for another village; bad input gets a clear error', async () => {
    expect((await post('A', '/api/aid/handouts', handout(B))).status).toBe(400);
    const bad = await post('A', '/api/aid/handouts', { ...handout(A), nik: '12' });
    expect(bad.status).toBe(400);
    expect(bad.body.error!.message).toMatch(/nik/);
  });

  it('CSV import reports each bad row with its line number and imports the rest; a re-import redelivers', async () => {
    const good = [handout(A), handout(A)];
    const row = (h: ReturnType<typeof handout>) => [h.programmeId, h.nik, h.kk, `"${h.name}, S.Pd"`, h.birthDate, h.villageCode, h.date].join(',');
    const csv = ['programmeId,nik,kk,name,birthDate,villageCode,date', row(good[0]!), 'bst,123,3510212304150001,X,1990-01-01,' + A + ',2026-11-28', row(good[1]!), 'nope,,,,,,', `bst,${nik()},${kk()},Y,1990-01-01,${B},2026-11-28`].join('\n');
    const r = await post<AidImportReport>('A', '/api/aid/import', csv, true);
    expect(r.body.data).toMatchObject({ imported: 2, doubles: 0 });
    expect(r.body.data.errors.map((e) => e.line)).toEqual([3, 5, 6]);
    expect(r.body.data.errors[2]!.reason).toMatch(/desa Anda/);
    expect((await post<AidImportReport>('A', '/api/aid/import', csv, true)).body.data).toMatchObject({ imported: 0, redelivered: 2 });
  });

  it('a distribution-point device records over MQTT and gets the result on its own topic', async () => {
    const dev = await publisher(broker.url);
    const results: unknown[] = [];
    await dev.subscribeAsync(villageDeviceTopic(A, 'pos-01', 'aid-result'), { qos: 1 });
    dev.on('message', (_t, p) => results.push(JSON.parse(p.toString())));
    const h = handout(A);
    await dev.publishAsync(villageDeviceTopic(A, 'pos-01', 'aid'), JSON.stringify({ v: 1, deviceId: 'pos-01', ...h }), { qos: 1 });
    await dev.publishAsync(villageDeviceTopic(A, 'pos-01', 'aid'), JSON.stringify({ v: 1, deviceId: 'pos-01', ...h }), { qos: 1 });
    await dev.publishAsync(villageDeviceTopic(A, 'pos-01', 'aid'), '{not json', { qos: 1 });
    await until('three results', () => results.length === 3);
    expect(results).toMatchObject([{ status: 'recorded', handoutId: h.handoutId }, { status: 'redelivered' }, { error: 'payload: not JSON' }]);
    await dev.endAsync();
  });

  it('acknowledge and resolve are recorded and audited; a cancelled handout leaves later checks; a restart reads it all from the database', async () => {
    const first = handout(A, { programmeId: 'bansos-bwi' });
    await post('A', '/api/aid/handouts', first);
    const dbl = (await post<AidRecordResult>('B', '/api/aid/handouts', handout(B, { programmeId: 'bansos-bwi', nik: first.nik }))).body.data;
    expect((await post<AidAlarm>('A', `/api/aid/alarms/${dbl.alarmId}/ack`, {})).body.data.acknowledgedBy).toBe('desa-a');
    expect((await post('C', `/api/aid/alarms/${dbl.alarmId}/ack`, {})).status).toBe(404);
    const res = await post<AidAlarm>('B', `/api/aid/alarms/${dbl.alarmId}/resolve`, { action: 'cancel', reason: 'diserahkan dua kali, dibatalkan' });
    expect(res.body.data.resolution).toMatchObject({ action: 'cancel', by: 'desa-b' });
    const audit = (await get<AidAuditEntry[]>('cmd', '/api/aid/audit?limit=1000')).data;
    // A check before handing out is read-only (issue 15): it leaves no audit row; everything that changes something does.
    expect(audit.map((e) => e.type)).toEqual(expect.arrayContaining(['handout', 'alarm', 'ack', 'resolve', 'import', 'redelivered']));
    expect(audit.map((e) => e.type)).not.toContain('check');
    expect(JSON.stringify(audit)).not.toContain(first.nik);
    // The alarm and its handling are in both villages' audit (A recorded first, B second); C sees none of it.
    for (const who of ['A', 'B']) {
      const own = (await get<AidAuditEntry[]>(who, '/api/aid/audit?limit=1000')).data.filter((e) => e.alarmId === dbl.alarmId);
      expect(own.map((e) => e.type).sort(), who).toEqual(['ack', 'alarm', 'resolve']);
    }
    expect((await get<AidAuditEntry[]>('C', '/api/aid/audit?limit=1000')).data.filter((e) => e.alarmId === dbl.alarmId)).toEqual([]);

    await server.close();
    server = await bootServer(env());
    cookies.cmd = await signIn(server, dataDir, 'komando', 'command');
    // The cancelled second handout is gone; the first is still there, in A.
    const again = await post<AidCheckResult>('cmd', '/api/aid/check', { programmeId: 'bansos-bwi', nik: first.nik, villageCode: C, date: '2026-11-02' });
    expect(again.body.data.matches).toMatchObject([{ kind: 'same_nik', villageCode: A }]);
    const alarms = (await get<AidAlarm[]>('cmd', '/api/aid/alarms?active=false')).data;
    expect(alarms.find((a) => a.id === dbl.alarmId)!.resolution!.action).toBe('cancel');
  });

  it('an upgrade: a data directory with the aid journal of sessions 1–4 starts with its handouts and alarms in the database', async () => {
    const old = tempDir('aid-upgrade');
    try {
      const dir = join(old, 'server', 'aid');
      mkdirSync(dir, { recursive: true });
      const secret = randomBytes(32);
      writeFileSync(join(dir, 'secret'), secret.toString('base64') + '\n', { mode: 0o600 });
      const k = new AidKeys(secret);
      const person = nik();
      const h = (v: string, at: string) => ({ t: 'h', id: ulid(), p: 'bst', d: '2026-11-28', v, at, by: 'desa', pk: keyHex(k.person(person)), kk: null, nk: null });
      const [h1, h2] = [h(A, '2026-11-28T01:00:00.000Z'), h(B, '2026-11-28T02:00:00.000Z')];
      const alarm: AidAlarm = {
        id: 3, severity: 'critical', handoutId: h2.id, programmeId: 'bst', period: '2026-11', villageCode: B, villageName: null, nikMasked: '351021******0001', name: 'Budi',
        matches: [{ kind: 'same_nik', severity: 'critical', programmeId: 'bst', period: '2026-11', villageCode: A, villageName: null, at: h1.at, handoutId: null }],
        villages: [B, A], raisedAt: h2.at, acknowledgedAt: null, acknowledgedBy: null, resolution: null,
      };
      writeFileSync(join(dir, 'journal.jsonl'), [h1, h2, { t: 'a', alarm }].map((l) => JSON.stringify(l)).join('\n') + '\n');
      const upgraded = await bootServer({ MQTT_URL: broker.url, INFLUX_URL: influx.url, DATA_DIR: old });
      try {
        const cookie = await signIn(upgraded, old, 'komando-lama', 'command');
        const alarms = (await (await fetch(`${upgraded.url}/api/aid/alarms`, { headers: { cookie } })).json()) as { data: AidAlarm[] };
        expect(alarms.data.map((a) => [a.id, a.villages])).toEqual([[3, [B, A]]]);
        const check = await fetch(`${upgraded.url}/api/aid/check`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ programmeId: 'bst', nik: person, villageCode: C, date: '2026-11-02' }) });
        expect(((await check.json()) as { data: AidCheckResult }).data.matches.map((m) => m.villageCode)).toEqual([A, B]);
        expect(existsSync(join(dir, 'journal.jsonl.imported'))).toBe(true);
      } finally {
        await upgraded.close();
      }
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });
});
