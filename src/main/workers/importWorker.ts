// SPDX-License-Identifier: MIT
/**
 * Import worker (worker_threads): reads, hashes, parses and encodes MIDI files for the import
 * service (src/main/services/importService.ts), which stays the only database writer (STYLE §4). Protocol:
 *   parent -> { type: 'init', knownHashes, melodySource }, then { type: 'parse', chunkId, items }
 *   worker -> { type: 'chunk', chunkId, results } with one result per item, in item order.
 */
import { parentPort } from 'node:worker_threads';
import type { MelodySource } from '../../core/encoding/melody';
import { toImportFailure } from '../services/import/failures';
import { sha256Hex } from '../services/import/hashing';
import { pieceFromMidi } from '../services/import/midiPiece';
import type { ImportWorkerRequest, ImportWorkerResult } from '../services/import/types';
import { readFileBytes } from '../services/import/walker';

if (!parentPort) throw new Error('importWorker must run in a worker thread');
const port = parentPort;
let known = new Set<string>();
let melodySource: MelodySource = 'first-part';

port.on('message', (message: ImportWorkerRequest) => {
  if (message.type === 'init') {
    known = new Set(message.knownHashes);
    melodySource = message.melodySource;
    return;
  }
  const results: ImportWorkerResult[] = [];
  const transfer: ArrayBuffer[] = [];
  for (const item of message.items) {
    try {
      const bytes = readFileBytes(item.path);
      const contentHash = sha256Hex(bytes);
      if (known.has(contentHash)) {
        results.push({ index: item.index, kind: 'duplicate' });
        continue;
      }
      const made = pieceFromMidi(bytes, item, contentHash, melodySource);
      if (made.piece.melodyTokens) transfer.push(made.piece.melodyTokens.buffer as ArrayBuffer);
      results.push({ index: item.index, kind: 'piece', ...made });
    } catch (err) {
      results.push({ index: item.index, kind: 'failure', failure: toImportFailure(item.path, err) });
    }
  }
  port.postMessage({ type: 'chunk', chunkId: message.chunkId, results }, transfer);
});
