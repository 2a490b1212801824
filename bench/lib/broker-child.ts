/**
 * A broker in its own process, so its CPU and RSS are measured apart from the load:
 *   BENCH_BROKER_AUTH=false → bare aedes (startBroker auth:false: no hooks), the "limit";
 *   BENCH_BROKER_AUTH=true  → our broker with credentials, ACL and throttling (BENCH_CREDENTIALS file).
 * BENCH_PERSIST_DIR (optional) = LevelDB persistence as in production. Prints `PORT <n>` when listening.
 */
import { createLogger, startBroker } from '@sk/broker';

const auth = process.env.BENCH_BROKER_AUTH !== 'false';
const broker = await startBroker({
  mqttPort: 0,
  auth,
  credentialsFile: process.env.BENCH_CREDENTIALS ?? '/nonexistent/credentials.json',
  persistenceDir: process.env.BENCH_PERSIST_DIR || undefined,
  watchCredentials: false,
  logger: createLogger('warn'),
});
process.stdout.write(`PORT ${broker.mqttPort}\n`);
const stop = () => { broker.close().then(() => process.exit(0), () => process.exit(1)); setTimeout(() => process.exit(0), 3000).unref(); };
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
