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

/** A metric as a short string, or a dash. */
export function metric(m: ModelDto, key: string, digits = 3): string {
  const v = m.metrics?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}
