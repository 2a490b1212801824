/**
 * Reads a KTP picture on the device with tesseract.js 7 (WASM) in the agent's own process, started
 * lazily on the first card and kept warm. The English model comes from the @tesseract.js-data/eng
 * package in node_modules (`langPath`, gzip) — nothing is downloaded and nothing is cached to disk.
 *
 * Why in the agent and not in the browser: the screen's bundle stays small (no 2.4 MB core nor
 * ~10 MB model to load on a tablet), the device's one CPU-bound worker serves the officer's screen
 * and a kiosk alike, and the bench measures exactly what the screen gets over its localhost POST.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Worker } from 'tesseract.js';
import type { RegionLookup } from '@sk/protocol';
import { readKtpText, type KtpRead } from './ktp-text.ts';

export interface KtpReaderOptions {
  /** `4.0.0` (fast, default) or `4.0.0_best_int`. */
  model?: '4.0.0' | '4.0.0_best_int';
  regions: RegionLookup;
  /** A digit of the NIK read below this confidence (0–100) flags the NIK as uncertain. */
  minDigitConfidence?: number;
}

export interface KtpReadResult extends KtpRead {
  /** Milliseconds the engine took for this card (without waiting for an earlier one). */
  ms: number;
  /** The engine's mean confidence for the whole card, 0–100. */
  confidence: number;
}

export function langPath(model: string = '4.0.0'): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), model);
}

// Tesseract's symbols for the line holding the NIK: the confidence of its weakest digit.
type Bbox = { x0: number; y0: number; x1: number; y1: number };
type Block = { paragraphs: { lines: { text: string; bbox: Bbox; words: { text: string; symbols: { text: string; confidence: number }[] }[] }[] }[] };

/**
 * The part of the card from the NIK line to the Jenis Kelamin line (NIK, name, birth date, sex), from
 * the first pass's layout; undefined when the NIK line was not found (then the whole card is read again).
 */
function identityRectangle(blocks: Block[] | null): { left: number; top: number; width: number; height: number } | undefined {
  const lines = (blocks ?? []).flatMap((b) => b.paragraphs.flatMap((p) => p.lines));
  const nik = lines.find((l) => /^\W{0,3}N\s?[I1l|]\s?K\b/i.test(l.text));
  if (!nik) return undefined;
  const sex = lines.find((l) => /Kelamin/i.test(l.text) && l.bbox.y0 > nik.bbox.y0);
  const bottom = sex ? sex.bbox.y1 : nik.bbox.y1 + 4 * (nik.bbox.y1 - nik.bbox.y0);
  const pad = Math.round((nik.bbox.y1 - nik.bbox.y0) / 2);
  const left = Math.max(0, Math.min(...lines.map((l) => l.bbox.x0)) - pad);
  const right = Math.max(...lines.map((l) => l.bbox.x1)) + pad;
  return { left, top: Math.max(0, nik.bbox.y0 - pad), width: right - left, height: bottom - nik.bbox.y0 + 2 * pad };
}

/** A NIK the reader could not take as read: worth a second pass with another binarisation. */
const RETRY: ReadonlySet<string> = new Set(['missing', 'invalid', 'mismatch']);
function nikDigitConfidence(blocks: Block[] | null, nik: string | null): number | undefined {
  if (!blocks || !nik) return undefined;
  for (const b of blocks) for (const p of b.paragraphs) for (const l of p.lines) {
    if (!/N\s?[I1l|]\s?K/i.test(l.text.slice(0, 8))) continue;
    let min = 100;
    let digits = 0;
    for (const w of l.words) for (const s of w.symbols) if (/[0-9A-Za-z|!\]]/.test(s.text) && !/^N\s?[I1l|]\s?K/i.test(w.text)) { min = Math.min(min, s.confidence); digits++; }
    return digits >= 16 ? min : undefined;
  }
  return undefined;
}

export class KtpReader {
  readonly #o: KtpReaderOptions;
  #worker: Promise<Worker> | null = null;

  constructor(o: KtpReaderOptions) {
    this.#o = o;
  }

  /** Starts the engine now (else the first card pays ~0.3–0.5 s for it). */
  warm(): Promise<void> {
    return this.#get().then(() => undefined);
  }

  #get(): Promise<Worker> {
    // errorHandler: without one, tesseract.js throws a failed job's error from its message handler,
    // which takes the whole agent down; with it, the job's promise rejects and the route answers.
    // The module itself is loaded on the first card too: an agent that never reads a card never loads it.
    this.#worker ??= import('tesseract.js').then(({ createWorker }) => createWorker('eng', 1, { langPath: langPath(this.#o.model), gzip: true, cacheMethod: 'none', errorHandler: () => {} })).then(async (w) => {
      // A card filling a camera frame is ~300 dpi; saying so spares the engine its guess (and its log line).
      // debug_file: the engine's own chatter ("Estimating resolution…") would land in the agent's JSON log stream.
      await w.setParameters({ user_defined_dpi: '300', debug_file: '/dev/null' } as never);
      return w;
    }).catch((err: unknown) => {
      this.#worker = null;
      throw err;
    });
    return this.#worker;
  }

  /** Reads one JPEG/PNG picture of a KTP. Jobs queue on the one engine. */
  async read(image: Buffer): Promise<KtpReadResult> {
    const worker = await this.#get();
    try {
      return await this.#read(worker, image);
    } catch (err) {
      // A job that failed inside the engine can leave its settings half restored (the page
      // segmentation rotateAuto changes): start afresh on the next card rather than read wrongly.
      if (this.#worker) {
        this.#worker = null;
        await worker.terminate().catch(() => {});
      }
      throw err;
    }
  }

  async #read(worker: Worker, image: Buffer): Promise<KtpReadResult> {
    const t0 = performance.now();
    // rotateAuto straightens a card held a few degrees off (issue 16: ±5°).
    const r = await worker.recognize(image, { rotateAuto: true }, { text: true, blocks: true });
    let text = r.data.text;
    let blocks = r.data.blocks as Block[] | null;
    let read = readKtpText(text, this.#o.regions);
    if (RETRY.has(read.nikCheck)) {
      // Uneven light or glare defeats the global (Otsu) threshold: read the identity lines again with
      // Sauvola's local one (~2× the time, so only when the first read is not usable). Its lines come
      // first, so they win for the labels they hold; the rest stays from the first pass.
      const rectangle = identityRectangle(blocks);
      await worker.setParameters({ thresholding_method: '2' } as never);
      try {
        const again = await worker.recognize(image, { rotateAuto: true, ...(rectangle ? { rectangle } : {}) }, { text: true, blocks: true });
        const merged = `${again.data.text}\n${text}`;
        const second = readKtpText(merged, this.#o.regions);
        if (!RETRY.has(second.nikCheck)) {
          text = merged;
          blocks = [...((again.data.blocks as Block[] | null) ?? []), ...(blocks ?? [])];
          read = second;
        }
      } finally {
        await worker.setParameters({ thresholding_method: '0' } as never);
      }
    }
    const ms = performance.now() - t0;
    const conf = nikDigitConfidence(blocks, read.nik);
    if (conf !== undefined) read = readKtpText(text, this.#o.regions, { nikDigitConfidence: conf, minDigitConfidence: this.#o.minDigitConfidence });
    return { ...read, ms, confidence: r.data.confidence };
  }

  async stop(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    if (w) await (await w.catch(() => null))?.terminate();
  }
}
