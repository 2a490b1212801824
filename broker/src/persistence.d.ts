// aedes-persistence-level ships no types; this is the one call the broker makes (db: a classic-level instance).
declare module 'aedes-persistence-level' {
  export interface LevelPersistence {
    destroy(): Promise<void>;
  }
  export default function aedesPersistenceLevel(db: object): LevelPersistence;
}
