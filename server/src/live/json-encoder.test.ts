import { Server } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { encodeEventsAsJson } from './json-encoder.ts';

const arrival = { eventId: 1, scanId: '01JD0000000000000000000001', name: 'Siti "x"=1 <b>', health: { temperatureC: 36.6, symptoms: ['demam'] }, villageName: null };

describe('encodeEventsAsJson', () => {
  it('encodes events exactly as the stock encoder does, and leaves acks and binary to it', () => {
    const stock = new Server().encoder;
    const io = new Server();
    encodeEventsAsJson(io);
    expect(Object.hasOwn(io.encoder, 'encode')).toBe(true); // the fast path is really in place
    const packets = [
      { type: 2, nsp: '/', data: ['arrivals', [arrival, { ...arrival, eventId: 2 }]] },
      { type: 2, nsp: '/', data: ['counts', [{ checkpointId: 'ketapang', today: 3 }]] },
      { type: 3, nsp: '/', id: 7, data: [{ events: [arrival], truncated: false, lastEventId: 1 }] },
      { type: 3, nsp: '/', id: 8, data: [Buffer.from('bin')] },
      { type: 0, nsp: '/', data: { sid: 'abc' } },
    ];
    for (const p of packets) expect(io.encoder.encode(p)).toEqual(stock.encode(p));
  });
});
