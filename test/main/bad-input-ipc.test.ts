// SPDX-License-Identifier: MIT
// Issue 14, "Bad input everywhere": IPC payloads. For EVERY call of the contract (derived from src/shared/ipc.ts, so a
// new call is covered without touching this file), a valid payload is built from its schema and then broken one field
// at a time: wrong types, null, NaN, Infinity, out-of-range and huge numbers, overlong strings and lists, unknown keys
// (prototype-pollution names included). Each goes through dispatch(), the entry the Electron door and the studio
// share, and must answer INVALID_PAYLOAD naming the field, without reaching a service, the door or the library.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { melodyPitchBias } from '../../src/core/model/controls';
import { createHandlers, dispatch, type DoorAdapter, type Handlers } from '../../src/main/ipc/handlers';
import { createAppServices, type AppServices } from '../../src/main/services/app';
import type { HandlerServices } from '../../src/main/services/contract';
import { CALL_NAMES, calls, type CallName } from '../../src/shared/ipc';
import { decodeWire, encodeWire } from '../../src/shared/wire';
import { libraryFingerprint } from './helpers/libraryFingerprint';
import { seedMelodyPieces } from './helpers/seedPieces';

// ---- reading the contract's zod schemas (zod 4) ----

/* eslint-disable @typescript-eslint/no-explicit-any */
type Schema = z.ZodType & { _zod: { def: any } };
const defOf = (s: Schema) => s._zod.def;

/** The schema under optional / default / pipe wrappers, and whether undefined is accepted. */
function unwrap(schema: Schema): { inner: Schema; optional: boolean; nullable: boolean } {
  let inner = schema;
  let optional = false;
  let nullable = false;
  for (;;) {
    const def = defOf(inner);
    if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault') {
      optional = true;
      inner = def.innerType;
    } else if (def.type === 'nullable') {
      nullable = true;
      inner = def.innerType;
    } else if (def.type === 'pipe') inner = def.in;
    else if (def.type === 'readonly') inner = def.innerType;
    else return { inner, optional, nullable };
  }
}

function lengthBounds(schema: Schema): { min?: number; max?: number } {
  const out: { min?: number; max?: number } = {};
  for (const check of defOf(schema).checks ?? []) {
    const d = check._zod.def;
    if (d.check === 'min_length') out.min = d.minimum;
    if (d.check === 'max_length') out.max = d.maximum;
  }
  return out;
}

function numberBounds(schema: Schema): { min: number; max: number; int: boolean } {
  const s = schema as any;
  return { min: s.minValue ?? -Infinity, max: s.maxValue ?? Infinity, int: Boolean(s.isInt) };
}

/** A valid value for `schema` (required fields only). */
function sample(schema: Schema): unknown {
  const { inner } = unwrap(schema);
  const def = defOf(inner);
  switch (def.type) {
    case 'string':
      return 'a'.repeat(Math.max(1, (inner as any).minLength ?? 1));
    case 'number': {
      const { min, max, int } = numberBounds(inner);
      const lo = Number.isFinite(min) ? min : Number.isFinite(max) ? max - 2 : 1;
      const hi = Number.isFinite(max) ? max : lo + 2;
      const mid = (lo + hi) / 2;
      return int ? Math.ceil(mid) : mid;
    }
    case 'boolean':
      return true;
    case 'enum':
      return (inner as any).options[0];
    case 'literal':
      return def.values[0];
    case 'union':
      return sample(def.options[0]);
    case 'custom':
      return new Uint8Array([77]); // bytes
    case 'array': {
      const n = lengthBounds(inner).min ?? 0;
      return Array.from({ length: n }, () => sample(def.element));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(def.shape as Record<string, Schema>))
        if (!unwrap(field).optional) out[key] = sample(field);
      return out;
    }
    default:
      throw new Error(`sample(): teach this test the zod type "${def.type}"`);
  }
}

/** An object with an own enumerable key (even "__proto__", as JSON.parse makes one). */
function withOwnKey(base: unknown, key: string, value: unknown): Record<string, unknown> {
  const out = { ...(base as Record<string, unknown>) };
  Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
  return out;
}

const HUGE_STRING = 'x'.repeat(100_000);
const EXTRA_KEYS = ['evil', '__proto__', 'constructor', 'prototype'];

/** [path named in the message, value] pairs that must be refused for a field of this schema. */
function badValues(schema: Schema): unknown[] {
  const { inner, nullable } = unwrap(schema);
  const def = defOf(inner);
  const always: unknown[] = [{ nested: 1 }, [1], ...(nullable ? [] : [null])];
  switch (def.type) {
    case 'string': {
      const max = (inner as any).maxLength as number | null;
      return [...always, 42, true, max ? 'x'.repeat(max + 1) : HUGE_STRING, HUGE_STRING];
    }
    case 'number': {
      const { min, max, int } = numberBounds(inner);
      const out = [
        ...always,
        '1',
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        1e308,
        -1e308,
        Number.MAX_SAFE_INTEGER + 2,
      ];
      if (Number.isFinite(min)) out.push(int ? min - 1 : min - 1e-6);
      if (Number.isFinite(max)) out.push(int ? max + 1 : max + 1e-6);
      if (int) out.push((Number.isFinite(min) ? min : 0) + 0.5);
      return out;
    }
    case 'boolean':
      return [...always, 'true', 1];
    case 'enum':
    case 'literal':
    case 'union':
      return [...always, 'not-an-option', 3];
    case 'custom':
      return [...always, 'bytes', 42];
    case 'array': {
      const max = lengthBounds(inner).max;
      const element = sample(def.element);
      return [
        ...always.filter((v) => !Array.isArray(v)),
        'list',
        Array.from({ length: (max ?? 100_000) + 1 }, () => element),
      ];
    }
    case 'object':
      return [...always.filter((v) => Array.isArray(v) || v === null), 'object', 42];
    default:
      throw new Error(`badValues(): teach this test the zod type "${def.type}"`);
  }
}

interface Case {
  channel: CallName;
  label: string;
  payload: unknown;
  /** The message must contain this: the field's dotted path, or the unknown key. */
  names: string;
}

/** Breaks `base` one field at a time, recursing into objects and the first element of lists. */
function mutations(channel: CallName, schema: Schema, base: unknown, at: string[]): Case[] {
  const { inner } = unwrap(schema);
  const def = defOf(inner);
  const cases: Case[] = [];
  if (def.type === 'object') {
    const strict = defOf(def.catchall ?? ({ _zod: { def: {} } } as Schema))?.type === 'never';
    const here = (at.length ? getPath(base, at) : base) ?? sample(inner);
    if (strict)
      for (const key of EXTRA_KEYS)
        cases.push({
          channel,
          label: `${[...at, key].join('.')} (unknown key)`,
          payload: at.length
            ? setPath(base, at, withOwnKey(here, key, { polluted: true }))
            : withOwnKey(here, key, { polluted: true }),
          names: key,
        });
    const withHere = at.length ? setPath(base, at, here) : here;
    for (const [key, field] of Object.entries(def.shape as Record<string, Schema>)) {
      const path = [...at, key];
      for (const value of badValues(field))
        cases.push({
          channel,
          label: `${path.join('.')} = ${show(value)}`,
          payload: setPath(withHere, path, value),
          names: path.join('.'),
        });
      const fieldInner = defOf(unwrap(field).inner);
      if (fieldInner.type === 'object') cases.push(...mutations(channel, field, withHere, path));
      if (fieldInner.type === 'array') {
        const element = sample(fieldInner.element);
        const withOne = setPath(withHere, path, [element]);
        for (const value of badValues(fieldInner.element))
          cases.push({
            channel,
            label: `${path.join('.')}.0 = ${show(value)}`,
            payload: setPath(withOne, [...path, '0'], value),
            names: `${path.join('.')}.0`,
          });
        if (defOf(unwrap(fieldInner.element).inner).type === 'object')
          cases.push(...mutations(channel, fieldInner.element, withOne, [...path, '0']));
      }
    }
  }
  return cases;
}

function getPath(value: unknown, at: string[]): unknown {
  return at.reduce<any>((v, key) => (v == null ? undefined : v[key]), value);
}

function setPath(value: unknown, at: string[], leaf: unknown): unknown {
  if (at.length === 0) return leaf;
  const [head, ...rest] = at;
  if (Array.isArray(value)) {
    const copy = value.slice();
    copy[Number(head)] = setPath(copy[Number(head)], rest, leaf);
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  copy[head] = setPath(copy[head], rest, leaf);
  return copy;
}

function show(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 20 ? `"${value.slice(0, 8)}..." (${value.length} chars)` : JSON.stringify(value);
  if (Array.isArray(value)) return value.length > 5 ? `a list of ${value.length}` : JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? String(value);
}
/* eslint-enable @typescript-eslint/no-explicit-any */

// ---- the cases ----

const TOP_LEVEL_BAD: unknown[] = [42, 'text', true, [], [{}]];

function casesFor(channel: CallName): Case[] {
  const schema = calls[channel].request as unknown as Schema;
  const base = sample(schema);
  const cases: Case[] = TOP_LEVEL_BAD.map((payload) => ({
    channel,
    label: `payload ${show(payload)}`,
    payload,
    names: '(payload)',
  }));
  // Missing payload: refused unless every field is optional (then {} is a valid call, as for app:info).
  if (!schema.safeParse({}).success)
    for (const payload of [undefined, null, {}])
      cases.push({ channel, label: `payload ${String(payload)}`, payload, names: Object.keys(base as object)[0] });
  cases.push(...mutations(channel, schema, base, []));
  return cases;
}

const ALL_CASES = CALL_NAMES.flatMap(casesFor);

// ---- the handlers, as the doors build them, over services and a door that record any use ----

let dataDir: string;
let app: AppServices;
let handlers: Handlers;
const reached: string[] = [];

beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'etude-bad-ipc-'));
  app = createAppServices({ dataDir, resourcesDir: path.join(dataDir, 'no-resources') });
  const corpus = app.library.corpora.createCorpus('Existing');
  app.library.pieces.insertPieces(corpus.id, seedMelodyPieces(4, 32));
  const recording = new Proxy(app as HandlerServices, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        reached.push(`service ${String(key)}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const door: DoorAdapter = {
    door: 'studio',
    chooseImportPaths: async () => (reached.push('door chooseImportPaths'), null),
    saveMidi: async () => (reached.push('door saveMidi'), null),
    chooseSaveTarget: async () => (reached.push('door chooseSaveTarget'), null),
    startDrag: async () => (reached.push('door startDrag'), false),
  };
  handlers = createHandlers(recording, door, {
    validateResponses: true,
    logError: (c, e) => reached.push(`log ${c} ${String(e)}`),
  });
});
afterAll(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('malformed IPC payloads, for every call of the contract', () => {
  it('builds a valid payload for every call from its schema (so the breakages below are the only fault)', () => {
    for (const channel of CALL_NAMES) {
      const base = sample(calls[channel].request as unknown as Schema);
      const parsed = calls[channel].request.safeParse(base);
      expect(parsed.success, `${channel}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
    // Every call gets its share of cases (a call with no fields still gets the top-level ones).
    for (const channel of CALL_NAMES) expect(ALL_CASES.filter((c) => c.channel === channel).length).toBeGreaterThan(4);
  });

  it.each(CALL_NAMES)('%s: every broken payload answers INVALID_PAYLOAD naming the field', async (channel) => {
    reached.length = 0;
    const before = libraryFingerprint(app.library.db);
    const failures: string[] = [];
    for (const c of ALL_CASES.filter((x) => x.channel === channel)) {
      // As Electron's structured clone delivers it (NaN, Infinity kept), and as the studio's WebSocket codec does
      // (JSON: NaN becomes null, "__proto__" stays an own key).
      const wire = c.payload === undefined ? undefined : decodeWire(encodeWire(c.payload));
      for (const [door, payload] of [
        ['ipc', c.payload],
        ['ws', wire],
      ] as const) {
        const envelope = await dispatch(handlers, channel, payload);
        const message = envelope.ok ? '' : envelope.error.message;
        if (envelope.ok || envelope.error.code !== 'INVALID_PAYLOAD' || !message.includes(c.names))
          failures.push(`${door} ${c.label}: ${JSON.stringify(envelope).slice(0, 300)}`);
        else if (!message.startsWith(`Invalid request for ${channel}: `) || message.includes('\n'))
          failures.push(`${door} ${c.label}: not one sentence: ${message.slice(0, 300)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(reached).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(libraryFingerprint(app.library.db)).toBe(before);
  });

  it('refuses what is well-typed but makes no sense, naming the field', async () => {
    const generate = { model: 'default', seedNotes: [60], temperature: 1, bars: 4, variations: 1, randomSeed: 1 };
    const cases: [CallName, unknown, RegExp][] = [
      [
        'compose:generate',
        { ...generate, range: { low: 84, high: 48 } },
        /range\.high: the low pitch must not be above/,
      ],
      ['train:start', { corpusName: 'Existing', modelName: 'm', spec: { hiddenSize: 1e9 } }, /spec\.hiddenSize/],
      ['train:start', { corpusName: 'Existing', modelName: 'm', training: { epochs: 0 } }, /training\.epochs/],
      [
        'train:start',
        { corpusName: 'Existing', modelName: 'm', training: { learningRate: 0 } },
        /training\.learningRate/,
      ],
      [
        'train:start',
        { corpusName: 'Existing', modelName: 'm', training: { weightAverageDecay: 1 } },
        /training\.weightAverageDecay/,
      ],
      [
        'train:start',
        { corpusName: 'Existing', modelName: 'm', training: { weightDecay: -0.1 } },
        /training\.weightDecay/,
      ],
      ['train:start', { corpusName: 'Existing', modelName: 'm', spec: { repeatContext: 65 } }, /spec\.repeatContext/],
    ];
    reached.length = 0;
    const before = libraryFingerprint(app.library.db);
    for (const [channel, payload, message] of cases) {
      const envelope = await dispatch(handlers, channel, payload);
      expect(envelope.ok ? 'ok' : envelope.error.code, channel).toBe('INVALID_PAYLOAD');
      expect(envelope.ok ? '' : envelope.error.message).toMatch(message);
    }
    expect(reached).toEqual([]);
    expect(libraryFingerprint(app.library.db)).toBe(before);
    // Past the doors, the controls refuse the same range before any work (the CLI's --range parser refuses it too).
    expect(() => melodyPitchBias({ range: { low: 84, high: 48 } })).toThrow(
      /runs downwards: its low pitch must not be above/,
    );
    expect(() => melodyPitchBias({ range: { low: -1, high: 300 } })).toThrow(/whole numbers within \[0, 127\]/);
  });

  it('counts', () => {
    console.info(`bad-input-ipc: ${ALL_CASES.length} malformed payloads over ${CALL_NAMES.length} calls`);
  });
});
