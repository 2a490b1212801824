/** @sk/server: the command centre's server, started in-process by tests and by the CLI. */
export { loadConfig, ConfigError, type ServerConfig } from './config.ts';
export { startServer, serverPaths, VERSION, type RunningServer, type IngestStats, type ServerOverrides } from './server.ts';
export { addUser, type AddUserInput, type PublicUser, type Role } from './auth/users.ts';
