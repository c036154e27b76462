import { SvelteSet } from 'svelte/reactivity';
import type { UploadItem } from './upload';

/** App-wide UI state: the help overlay, the multi-selection, the upload panel. */
export const ui = $state({ help: false, uploads: false, toast: '' });
export const selection = new SvelteSet<string>();
export const uploads = $state<{ items: UploadItem[]; version: number }>({ items: [], version: 0 });

let toastTimer: ReturnType<typeof setTimeout> | undefined;
export function toast(message: string) {
	ui.toast = message;
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => (ui.toast = ''), 4000);
}

/** Bumped when assets change (uploaded, trashed, restored) so open lists reload. */
export const library = $state({ version: 0 });
export function libraryChanged() {
	library.version++;
}
