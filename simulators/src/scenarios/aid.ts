/**
 * `sim aid`: handouts across villages with injected doubles (by NIK, by KK, across programmes), sent
 * through the HTTP API and/or as MQTT distribution-point devices; listens on socket.io as a
 * command-centre user and checks that every injected double raised exactly one alarm and nothing
 * else raised any. Exit 0 when so, 2 when not.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { todayWib, villageDeviceTopic, type AidRecordResult, type ClientToServerEvents, type HandoutInput, type ServerToClientEvents } from '@sk/protocol';
import { loadRegions } from '@sk/protocol/regions';
import { COMMON, AUTH } from '../options.ts';
import { login } from '../server-client.ts';
import { DOUBLE_KINDS, planAid, type DoubleKind } from './aid-plan.ts';
import type { Scenario } from './scenario.ts';

export interface AidSummary {
  handouts: number;
  recorded: number;
  doublesInjected: number;
  injectedByKind: Record<DoubleKind, number>;
  doublesDetected: number;
  alarmsReceived: number;
  /** Injected doubles whose handout raised exactly one alarm on the command centre's socket. */
  exactlyOneAlarm: number;
  /** Injected doubles with no alarm (missed) or more than one (doubled). */
  missed: number;
  extraAlarms: number;
  rejected: number;
  ok: boolean;
}

type Device = { deviceId: string; secret?: string };

/** Sends one handout per call as the village's distribution-point device; resolves with the server's result. */
class DevicePool {
  readonly #clients = new Map<string, MqttClient>();
  readonly #waiting = new Map<string, (r: AidRecordResult & { error?: string }) => void>();
  constructor(private readonly url: string, private readonly devices: Record<string, Device> | null) {}

  async send(h: HandoutInput): Promise<AidRecordResult & { error?: string }> {
    const dev = this.devices ? this.devices[h.villageCode] : { deviceId: `pos-${h.villageCode.replaceAll('.', '')}` };
    if (!dev) throw new Error(`--devices: no device for village ${h.villageCode}`);
    let c = this.#clients.get(dev.deviceId);
    if (!c) {
      c = await mqtt.connectAsync(this.url, { clientId: dev.deviceId, username: dev.secret ? dev.deviceId : undefined, password: dev.secret, reconnectPeriod: 1000, connectTimeout: 10_000 });
      c.on('message', (_t, p) => {
        const r = JSON.parse(p.toString()) as AidRecordResult & { error?: string };
        this.#waiting.get(r.handoutId)?.(r);
        this.#waiting.delete(r.handoutId);
      });
      await c.subscribeAsync(villageDeviceTopic(h.villageCode, dev.deviceId, 'aid-result'), { qos: 1 });
      this.#clients.set(dev.deviceId, c);
    }
    const result = new Promise<AidRecordResult & { error?: string }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no aid-result for a handout within 30 s (device ${dev.deviceId})`)), 30_000);
      this.#waiting.set(h.handoutId, (r) => (clearTimeout(t), resolve(r)));
    });
    await c.publishAsync(villageDeviceTopic(h.villageCode, dev.deviceId, 'aid'), JSON.stringify({ v: 1, deviceId: dev.deviceId, ...h }), { qos: 1 });
    return result;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((c) => c.endAsync()));
  }
}

async function postHandout(server: string, cookie: string, h: HandoutInput): Promise<AidRecordResult & { error?: string }> {
  const res = await fetch(new URL('/api/aid/handouts', server), { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(h) });
  const body = (await res.json().catch(() => null)) as { ok: boolean; data?: AidRecordResult; error?: { message: string } } | null;
  if (body?.ok && body.data) return body.data;
  if (res.status >= 500 || !body) throw new Error(`server: HTTP ${res.status}`);
  return { status: 'recorded', handoutId: h.handoutId, matches: [], alarmId: null, error: body.error?.message ?? `HTTP ${res.status}` };
}

export const aid: Scenario = {
  name: 'aid',
  summary: 'bansos handouts across villages with injected doubles; checks every double raised exactly one alarm',
  usage: 'npm run sim -- aid [--handouts N] [--villages K] [--double-rate R] [--kinds nik,kk,conflict] [--via http|mqtt|both] --user U --password P',
  description: [
    'Records handouts (one at a time, in order) through POST /api/aid/handouts as a command-centre user',
    'and/or as MQTT distribution-point devices on sk/v1/villages/{desa}/devices/{id}/aid, while listening',
    'to aid:alarm on socket.io as that user. A share of handouts (--double-rate) repeats an earlier one from',
    'another village: the same NIK and programme, the same KK in a household programme, or a conflicting',
    'programme for the same KK. The summary says whether every injected double raised exactly one alarm.',
    'Without --devices, MQTT devices connect without credentials (a bare broker); with it, a JSON file',
    '{"<villageCode>": {"deviceId": "...", "secret": "..."}} from `sk-broker village-device add`.',
  ].join('\n'),
  specs: {
    server: COMMON.server!,
    broker: COMMON.broker!,
    user: AUTH.user!,
    password: AUTH.password!,
    handouts: { type: 'string', help: 'how many handouts', default: '200' },
    villages: { type: 'string', help: 'how many of the 217 villages to spread them over', default: '20' },
    'double-rate': { type: 'string', help: 'share of handouts that are injected doubles (0–1)', default: '0.1' },
    kinds: { type: 'string', help: 'kinds of doubles: nik, kk, conflict (comma-separated)', default: 'nik,kk,conflict' },
    via: { type: 'string', help: 'http, mqtt or both (alternating)', default: 'http' },
    devices: { type: 'string', help: 'JSON file of distribution-point device credentials per village', env: 'SK_SIM_AID_DEVICES' },
    date: { type: 'string', help: 'handout date YYYY-MM-DD (all in one period)', default: 'today (WIB)' },
    seed: { type: 'string', help: 'PRNG seed; the same seed makes the same people (a rerun against the same server doubles them)', default: 'a fresh one per run' },
    'wait-ms': { type: 'string', help: 'how long to wait for the last alarms after the last handout', default: '15000' },
    json: COMMON.json!,
    help: COMMON.help!,
  },
  async run(c) {
    const server = c.url('server')!;
    const broker = c.url('broker')!;
    const count = c.num('handouts', { min: 1, max: 1_000_000, integer: true });
    const nVillages = c.num('villages', { min: 2, max: 217, integer: true });
    const rate = c.num('double-rate', { min: 0, max: 1 });
    const waitMs = c.num('wait-ms', { min: 0, max: 600_000, integer: true });
    const kinds = c.str('kinds')!.split(',').map((k) => k.trim()).filter(Boolean) as DoubleKind[];
    for (const k of kinds) if (!DOUBLE_KINDS.includes(k)) c.fail(`--kinds: unknown kind ${JSON.stringify(k)} (nik, kk, conflict)`);
    const via = c.str('via')!;
    if (!['http', 'mqtt', 'both'].includes(via)) c.fail('--via: http, mqtt or both');
    const dateRaw = c.str('date')!;
    const date = dateRaw === 'today (WIB)' ? todayWib() : dateRaw;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) c.fail('--date: YYYY-MM-DD');
    const user = c.str('user');
    const password = c.str('password');
    if (!user || !password) c.fail('--user and --password: a command-role console user (records any village, hears every alarm)');
    let devices: Record<string, Device> | null = null;
    const devicesFile = c.str('devices');
    if (devicesFile) {
      try {
        devices = JSON.parse(readFileSync(devicesFile, 'utf8')) as Record<string, Device>;
      } catch (e) {
        c.fail(`--devices: ${(e as Error).message}`);
      }
    }
    c.done();

    const all = loadRegions().villages;
    const step = all.length / nVillages!;
    const villages = devices ? Object.keys(devices) : Array.from({ length: nVillages! }, (_, i) => all[Math.floor(i * step)]!.code);
    const seedRaw = c.str('seed')!;
    const plan = planAid({ seed: seedRaw === 'a fresh one per run' ? String(Date.now()) : seedRaw, count: count!, villages, doubleRate: rate!, kinds, date });

    const cookie = await login(server, user!, password!);
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(server, { transports: ['websocket'], extraHeaders: { cookie }, reconnection: true });
    const alarmsByHandout = new Map<string, number>();
    let alarmsReceived = 0;
    socket.on('aid:alarm', (a) => {
      alarmsReceived++;
      alarmsByHandout.set(a.handoutId, (alarmsByHandout.get(a.handoutId) ?? 0) + 1);
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('socket.io: no hello within 10 s')), 10_000);
      socket.once('hello', () => (clearTimeout(t), resolve()));
      socket.once('connect_error', (e) => (clearTimeout(t), reject(new Error(`socket.io: ${e.message}`))));
    });

    const pool = new DevicePool(broker.split(',')[0]!, devices);
    const results: (AidRecordResult & { error?: string })[] = [];
    try {
      for (const [i, p] of plan.entries()) {
        const useMqtt = via === 'mqtt' || (via === 'both' && i % 2 === 1);
        results.push(useMqtt ? await pool.send(p.input) : await postHandout(server, cookie, p.input));
      }
      const injected = plan.filter((p) => p.double !== null);
      const deadline = Date.now() + waitMs!;
      while (Date.now() < deadline && injected.some((p) => !alarmsByHandout.has(p.input.handoutId))) await new Promise((r) => setTimeout(r, 50));
    } finally {
      socket.close();
      await pool.close();
    }

    const injectedIds = new Set(plan.filter((p) => p.double).map((p) => p.input.handoutId));
    const injectedByKind = Object.fromEntries(DOUBLE_KINDS.map((k) => [k, plan.filter((p) => p.double === k).length])) as Record<DoubleKind, number>;
    const exactlyOne = [...injectedIds].filter((id) => alarmsByHandout.get(id) === 1).length;
    const extraAlarms = [...alarmsByHandout].filter(([id]) => !injectedIds.has(id)).reduce((n, [, k]) => n + k, 0);
    const rejected = results.filter((r) => r.error).length;
    const summary: AidSummary = {
      handouts: plan.length,
      recorded: results.filter((r) => !r.error && r.status !== 'redelivered').length,
      doublesInjected: injectedIds.size,
      injectedByKind,
      doublesDetected: results.filter((r) => r.status === 'double').length,
      alarmsReceived,
      exactlyOneAlarm: exactlyOne,
      missed: injectedIds.size - exactlyOne,
      extraAlarms,
      rejected,
      ok: exactlyOne === injectedIds.size && extraAlarms === 0 && rejected === 0,
    };
    if (c.bool('json')) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      process.stdout.write(
        [
          `handouts ${summary.handouts} (recorded ${summary.recorded}, rejected ${summary.rejected}) over ${villages.length} villages via ${via}`,
          `doubles injected ${summary.doublesInjected} (NIK ${injectedByKind.nik}, KK ${injectedByKind.kk}, conflicting programme ${injectedByKind.conflict}); detected ${summary.doublesDetected}`,
          `alarms received ${summary.alarmsReceived}; injected doubles with exactly one alarm ${summary.exactlyOneAlarm}/${summary.doublesInjected}; alarms for fresh handouts ${summary.extraAlarms}`,
          summary.ok ? 'OK: every injected double raised exactly one alarm, nothing else did' : 'NOT OK: see the counts above',
        ].join('\n') + '\n',
      );
    }
    return summary.ok ? 0 : 2;
  },
};
