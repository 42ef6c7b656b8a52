// SPDX-License-Identifier: MIT
/**
 * `etude models export NAME --out FILE` and `etude models import FILE [--name NAME]`: a trained model as one
 * .etude-model file (src/main/services/modelTransfer.ts). Added to the `models` command as two subcommands; anything
 * else goes on to the command it wraps (the model list).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { MODEL_FILE_EXTENSION } from '../../core/model/modelFile';
import { writeFileAtomicallySync } from '../../main/services/atomicFile';
import { etudeVersion, exportModel, importModel } from '../../main/services/modelTransfer';
import { parseCommandArgs } from '../args';
import { UsageError, type CliCommand, type CliContext } from '../types';

/** Refused before reading: far larger than any model Etude trains. */
const MAX_MODEL_FILE_BYTES = 1024 * 1024 * 1024;

const USAGE = `etude models export NAME [--out FILE]
etude models import FILE [--name NAME]

  export   writes the model's latest checkpoint, spec, training record and corpus name to one file
           (default: ./NAME${MODEL_FILE_EXTENSION}); an existing file is not overwritten unless --force
  import   adds the model in FILE to this library; --name gives it another name (a name clash is refused)`;

async function runExport(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('models export', args, {
    out: { type: 'string', short: 'o' },
    force: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('models export: name exactly one model', 'models');
  const { bytes, fileName, modelName } = exportModel(ctx.library(), positionals[0], etudeVersion());
  const out = path.resolve(ctx.cwd, values.out ?? fileName);
  if (existsSync(out) && !values.force)
    throw new UsageError(`models export: ${out} exists; pick another --out or add --force`, 'models');
  // Written whole under a temporary name first, so a crash never leaves half a model under the real name.
  writeFileAtomicallySync(out, bytes);
  ctx.out(`Exported "${modelName}" to ${out} (${(bytes.byteLength / 1024 / 1024).toFixed(1)} MB).`);
  return 0;
}

async function runImport(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('models import', args, { name: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('models import: name exactly one model file', 'models');
  const file = path.resolve(ctx.cwd, positionals[0]);
  if (!existsSync(file)) throw new UsageError(`models import: ${file} does not exist`, 'models');
  if (statSync(file).size > MAX_MODEL_FILE_BYTES)
    throw new UsageError(`models import: ${file} is larger than any Etude model; is it the right file?`, 'models');
  const row = importModel(ctx.library(), new Uint8Array(readFileSync(file)), {
    fileName: path.basename(file),
    appVersion: etudeVersion(),
    ...(values.name !== undefined ? { name: values.name } : {}),
  });
  ctx.out(`Imported "${row.name}" from ${file}; compose with it: etude generate "${row.name}"`);
  return 0;
}

/** The `models` command with export/import added in front of it. */
export function withModelTransfer(base: CliCommand): CliCommand {
  return {
    ...base,
    usage: `${base.usage}\n\n${USAGE}`,
    run(args, ctx) {
      if (args[0] === 'export') return runExport(args.slice(1), ctx);
      if (args[0] === 'import') return runImport(args.slice(1), ctx);
      return base.run(args, ctx);
    },
  };
}
