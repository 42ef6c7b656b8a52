// SPDX-License-Identifier: MIT
/** Models (library + the bundled default) as main reports them; refreshed when training finishes. */
import type { ModelDto } from '../../../../shared/dto';
import { app } from './app.svelte';
import { jobs } from './jobs.svelte';

class ModelsStore {
  models = $state.raw<ModelDto[]>([]);

  constructor() {
    jobs.onFinishedJob((job) => {
      if (job.kind === 'train') void this.refresh();
    });
  }

  async refresh(): Promise<void> {
    try {
      this.models = await app.requireApi().call('models:list', {});
    } catch (error) {
      app.fail('Could not list models', error, { label: 'Retry', run: () => void this.refresh() });
    }
  }

  /** Saves the model as one .etude-model file (a download: main answers the bytes, the page saves them). */
  async exportModel(model: ModelDto): Promise<void> {
    try {
      const { bytes, fileName } = await app.requireApi().call('models:export', { modelId: model.id });
      const blob = new Blob(
        [bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer],
        {
          type: 'application/octet-stream',
        },
      );
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = fileName;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      app.toast('info', `Exported “${model.name}” as ${fileName}.`);
    } catch (error) {
      app.fail(`Could not export “${model.name}”`, error);
    }
  }

  /** Adds the model in an .etude-model file to the library, under `name` when given. */
  async importModel(file: File, name?: string): Promise<boolean> {
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const model = await app.requireApi().call('models:import', {
        bytes,
        fileName: file.name,
        ...(name ? { name } : {}),
      });
      app.toast('info', `Imported “${model.name}”; pick it on the Compose screen.`);
      await this.refresh();
      return true;
    } catch (error) {
      app.fail(`Could not import ${file.name}`, error);
      return false;
    }
  }

  async remove(modelId: string): Promise<void> {
    try {
      await app.requireApi().call('models:delete', { modelId });
    } catch (error) {
      app.fail('Could not delete the model', error);
    }
    await this.refresh();
  }
}

export const models = new ModelsStore();

/**
 * The epoch a model composes with, as the Models table shows it (the main process picks it:
 * src/main/services/composingCheckpoint.ts): its best on validation, "averaged" where the weight average was the
 * better; a dash before its first checkpoint and for the bundled model.
 */
export function composingEpoch(m: ModelDto): string {
  const c = m.composesWith;
  return c ? `${c.epoch}${c.average ? ', averaged' : ''}` : '—';
}

/** A metric as a short string, or a dash. */
export function metric(m: ModelDto, key: string, digits = 3): string {
  const v = m.metrics?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}
