import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { corkSends } from './engine-cork.ts';

/** A TCP socket stand-in that records each write call the kernel would see (one per writev). */
function rawSocket() {
  const calls: string[][] = [];
  const raw = new Writable({
    write(chunk, _enc, cb) { calls.push([String(chunk)]); cb(); },
    writev(chunks, cb) { calls.push(chunks.map((c) => String(c.chunk))); cb(); },
  });
  return { raw, calls };
}

describe('engine.io burst corking', () => {
  it('writes a burst of frames in one call, in order; a single packet goes as before', () => {
    const { raw, calls } = rawSocket();
    const t = { name: 'websocket', socket: { _socket: raw as Writable }, send(packets: unknown[]) { for (const p of packets) raw.write(String(p)); } };
    corkSends(t);
    t.send(['a', 'b', 'c']);
    t.send(['d']);
    expect(calls).toEqual([['a', 'b', 'c'], ['d']]);
    corkSends(t); // idempotent: wrapping twice would still work, but it is wrapped once
    t.send(['e', 'f']);
    expect(calls.at(-1)).toEqual(['e', 'f']);
  });

  it('leaves other transports (long polling) alone', () => {
    const { raw } = rawSocket();
    const send = () => {};
    const t = { name: 'polling', socket: { _socket: raw as Writable }, send };
    corkSends(t);
    expect(t.send).toBe(send);
  });
});
