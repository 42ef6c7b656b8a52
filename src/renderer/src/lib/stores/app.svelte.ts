// SPDX-License-Identifier: MIT
/**
 * App-wide renderer state: the API client, app:info, toasts and the fatal screen.
 * Main holds the durable truth; this caches it for the UI.
 */
import type { AppInfoDto } from '../../../../shared/dto';
import { asFailure, type ApiFailure, type RendererApi } from './apiTypes';

export type Tab = 'library' | 'train' | 'compose';

export interface ToastAction {
  label: string;
  run: () => void;
}

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  message: string;
  action?: ToastAction;
}

export interface FatalState {
  title: string;
  message: string;
  code: string;
}

/** Codes that mean the app cannot work at all until the user does something outside it. */
const FATAL_CODES = new Set([
  'LIBRARY_FROM_FUTURE',
  'LIBRARY_NOT_OURS',
  'LIBRARY_UNREADABLE',
  'DATA_DIR_UNUSABLE',
  'FORBIDDEN',
]);

class AppStore {
  api: RendererApi | null = null;
  info = $state<AppInfoDto | null>(null);
  tab = $state<Tab>('library');
  toasts = $state<Toast[]>([]);
  fatal = $state<FatalState | null>(null);
  helpOpen = $state(false);
  private nextToastId = 1;

  setApi(api: RendererApi): void {
    this.api = api;
  }

  requireApi(): RendererApi {
    if (!this.api) throw new Error('The API client is not ready yet');
    return this.api;
  }

  async loadInfo(): Promise<void> {
    try {
      this.info = await this.requireApi().call('app:info', {});
    } catch (error) {
      this.fail('Could not open the library', error, { label: 'Retry', run: () => void this.loadInfo() });
    }
  }

  toast(kind: Toast['kind'], message: string, action?: ToastAction): void {
    const toast = { id: this.nextToastId++, kind, message, action };
    this.toasts = [...this.toasts, toast];
    // Errors stay until dismissed (they carry an action); info fades.
    if (kind === 'info') setTimeout(() => this.dismiss(toast.id), 5000);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  /**
   * Report a failed operation: fatal codes get the blocking screen, everything else a toast
   * that says what failed, why, and offers the action.
   */
  fail(what: string, error: unknown, action?: ToastAction): ApiFailure {
    const failure = asFailure(error);
    if (FATAL_CODES.has(failure.code)) {
      this.fatal = { title: what, message: failure.message, code: failure.code };
    } else {
      this.toast('error', `${what}: ${failure.message}`, action);
    }
    return failure;
  }
}

export const app = new AppStore();
