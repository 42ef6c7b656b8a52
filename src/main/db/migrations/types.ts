// SPDX-License-Identifier: MIT
import type { Database } from 'better-sqlite3';

/**
 * One schema step. `version` is the value PRAGMA user_version holds once this step is applied;
 * steps go up in tens to leave room. `up` runs inside the runner's transaction: it must be
 * synchronous and must not open its own transaction. Never edit a shipped step; add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}
