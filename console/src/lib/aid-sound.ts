/**
 * The double-aid alarm sound: a Web Audio oscillator (no file to ship). Browsers block audio until a
 * user gesture, so the officer presses "Aktifkan suara" once; `window.__skAlarmPlayed` counts plays
 * (the console test asserts it).
 */
declare global {
  interface Window { __skAlarmPlayed?: number }
}

let ctx: AudioContext | null = null;

/** Call from a click handler: creates/resumes the audio context. */
export async function enableSound(): Promise<boolean> {
  try {
    ctx ??= new AudioContext();
    await ctx.resume();
    return ctx.state === 'running';
  } catch {
    return false;
  }
}

export const soundEnabled = () => ctx?.state === 'running';

/** Three short two-tone beeps. Counted even when audio is blocked, so the UI can say so. */
export function playAlarm(): void {
  window.__skAlarmPlayed = (window.__skAlarmPlayed ?? 0) + 1;
  if (!ctx || ctx.state !== 'running') return;
  const t0 = ctx.currentTime;
  for (let i = 0; i < 3; i++) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'square';
    osc.frequency.setValueAtTime(i % 2 ? 660 : 880, t0 + i * 0.3);
    gain.gain.setValueAtTime(0.15, t0 + i * 0.3);
    gain.gain.setValueAtTime(0, t0 + i * 0.3 + 0.2);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0 + i * 0.3);
    osc.stop(t0 + i * 0.3 + 0.22);
  }
}
