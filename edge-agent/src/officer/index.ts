/** The officer screen on the agent's local HTTP port (issue 16): the desk, its routes and the KTP reader. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRegions } from '@sk/protocol/regions';
import type { EdgeAgent } from '../agent.ts';
import type { ExtraRoutes } from '../http.ts';
import type { Logger } from '../log.ts';
import { KtpReader } from '../ocr/ktp-reader.ts';
import { OfficerDesk } from './desk.ts';
import { officerRoutes } from './routes.ts';

export { OfficerDesk, type DeskEntry, type DeskSnapshot, type DeskStatus } from './desk.ts';
export { officerRoutes } from './routes.ts';

/** Where `npm run build:ui -w edge-agent` puts the screen (edge-agent/ui → edge-agent/ui/dist). */
export const UI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui', 'dist');

export interface OfficerScreen {
  desk: OfficerDesk;
  reader: KtpReader | undefined;
  routes: ExtraRoutes;
  stop(): Promise<void>;
}

/** `startOfficerScreen(agent)` → routes to hand to `startHttp(agent, port, host, screen.routes)`. */
export function startOfficerScreen(agent: EdgeAgent, o: { logger?: Logger; ocr?: boolean; uiDir?: string; pushEveryMs?: number } = {}): OfficerScreen {
  const desk = new OfficerDesk(agent, { pushEveryMs: o.pushEveryMs });
  desk.start();
  const reader = o.ocr === false ? undefined : new KtpReader({ regions: loadRegions() });
  return {
    desk,
    reader,
    routes: officerRoutes({ desk, reader, uiDir: o.uiDir ?? UI_DIR, logger: o.logger }),
    async stop() {
      desk.stop();
      await reader?.stop();
    },
  };
}
