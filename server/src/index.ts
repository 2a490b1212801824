/** @sk/server: the command centre's server, started in-process by tests and by the CLI. */
export { loadConfig, ConfigError, type ServerConfig } from './config.ts';
export { startServer, serverPaths, VERSION, type RunningServer, type IngestStats, type ServerOverrides } from './server.ts';
export { addUser, copyUsers, listUsers, type AddUserInput, type PublicUser, type Role } from './auth/users.ts';
export type { RecordsLocation } from './ops/records-location.ts';
