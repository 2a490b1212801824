/**
 * JSON-lines input: one ScanInput per line in, one reply line per input out, in input order.
 *   in : {"nik":"…","name":"…",…}
 *   out: {"line":1,"ok":true,"scanId":"01J…","seq":1}  |  {"line":2,"ok":false,"reason":"invalid_nik","message":"…"}
 * A reply `ok:true` is only written once the scan is fsynced in the outbox. Submissions run
 * concurrently (so the outbox can group-commit them) but at most `maxPending` at a time.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { EdgeAgent, SubmitResult } from './agent.ts';

export function runStdinInput(agent: EdgeAgent, input: Readable, output: Writable, maxPending = 1000): Promise<void> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  let pending = 0;
  let chain: Promise<void> = Promise.resolve();
  const write = (s: string) => new Promise<void>((resolve) => (output.write(s) ? resolve() : output.once('drain', resolve)));
  rl.on('line', (text) => {
    line++;
    if (text.trim() === '') return;
    const n = line;
    let result: Promise<SubmitResult>;
    try {
      result = agent.submit(JSON.parse(text));
    } catch {
      result = Promise.resolve({ ok: false, reason: 'not_json', message: 'line is not JSON' } as SubmitResult);
    }
    pending++;
    if (pending >= maxPending) rl.pause();
    // Chain the writes so replies come out in input order.
    chain = chain.then(async () => {
      const r = await result.catch((err: Error): SubmitResult => ({ ok: false, reason: 'storage_error', message: err.message }));
      await write(`${JSON.stringify({ line: n, ...r })}\n`);
      pending--;
      if (pending < maxPending / 2) rl.resume();
    });
  });
  return new Promise((resolve) => rl.once('close', () => void chain.then(resolve)));
}
