/**
 * socket.io's encoder walks every value of every emitted event looking for binary data (`hasBinary`)
 * before it stringifies it; for a turn's batch of arrivals that walk visits each field of each event
 * in JavaScript (~1 % of the server's busy time at e2e load, issue 5). Our `ServerToClientEvents`
 * carry JSON only (protocol/src/events.ts), so an EVENT packet goes straight to its string form — the
 * very string the stock encoder produces for non-binary data. Acks and control packets keep the stock path.
 */
import type { Server } from 'socket.io';

const EVENT = 2; // socket.io-parser PacketType.EVENT (protocol v5)

interface PacketLike { type: number }
interface EncoderLike {
  encode(packet: PacketLike): unknown[];
  encodeAsString(packet: PacketLike): string;
}

/** Makes `io` encode its (JSON-only) events without the binary scan. Call once, before the first emit. */
export function encodeEventsAsJson(io: Server): void {
  const encoder = io.encoder as unknown as EncoderLike;
  if (typeof encoder.encodeAsString !== 'function') return; // another socket.io-parser: keep it as is
  const stock = encoder.encode.bind(encoder);
  encoder.encode = (packet) => (packet.type === EVENT ? [encoder.encodeAsString(packet)] : stock(packet));
}
