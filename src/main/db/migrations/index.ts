// SPDX-License-Identifier: MIT
import { migration0010 } from './0010-create-corpora-pieces';
import { migration0020 } from './0020-create-models-checkpoints';
import { migration0030 } from './0030-create-generations';
import { migration0040 } from './0040-create-training-leases';
import { migration0050 } from './0050-pieces-melody-optional';
import { migration0060 } from './0060-generations-newest-index';
import { migration0070 } from './0070-corpora-import-owner';
import type { Migration } from './types';

export type { Migration } from './types';

/** Every schema step, oldest first. Append only; the runner asserts the versions strictly increase. */
export const MIGRATIONS: readonly Migration[] = [
  migration0010,
  migration0020,
  migration0030,
  migration0040,
  migration0050,
  migration0060,
  migration0070,
];

/** The schema version this build writes (the last step's version). */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1].version;
