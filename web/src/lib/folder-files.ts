/**
 * The files of a folder the user picked (``<input webkitdirectory>``) or dropped on the page,
 * each with its path inside that folder (``Trip/day 1/a.jpg``), which the upload sends as
 * ``originalPath``. Lone files keep no path. Hidden files (``.DS_Store``) are left out: no
 * camera writes them and the server would refuse their type.
 */
import type { FolderFile } from './upload';

const hidden = (path: string) => path.split('/').some((part) => part.startsWith('.'));

/** What an ``<input type=file>`` gave: a picked folder's files carry their relative path. */
export function pickedFiles(files: Iterable<File>): (File | FolderFile)[] {
	const out: (File | FolderFile)[] = [];
	for (const file of files) {
		const path = file.webkitRelativePath;
		if (!path || !path.includes('/')) out.push(file);
		else if (!hidden(path)) out.push({ file, path });
	}
	return out;
}

// The parts of the File and Directory Entries API (what a drop gives) that are used here, so
// tests can hand in plain objects.
export interface DroppedEntry {
	isFile: boolean;
	isDirectory: boolean;
	name: string;
	fullPath: string;
}
interface FileEntry extends DroppedEntry {
	file(ok: (file: File) => void, fail?: (err: unknown) => void): void;
}
interface DirectoryEntry extends DroppedEntry {
	createReader(): { readEntries(ok: (entries: DroppedEntry[]) => void, fail?: (err: unknown) => void): void };
}

/** The files under what was dropped: a dropped folder's files with their paths (its name
 * first), dropped files as they are. Take the entries in the drop handler itself
 * (``item.webkitGetAsEntry()``): the drop's data is gone once the handler returns. */
export async function droppedFiles(entries: (DroppedEntry | null)[]): Promise<(File | FolderFile)[]> {
	const out: (File | FolderFile)[] = [];
	for (const entry of entries) if (entry) await walk(entry, true, out);
	return out;
}

async function walk(entry: DroppedEntry, top: boolean, out: (File | FolderFile)[]): Promise<void> {
	if (entry.isFile) {
		const file = await new Promise<File>((ok, fail) => (entry as FileEntry).file(ok, fail));
		if (top) out.push(file);
		else {
			const path = entry.fullPath.replace(/^\/+/, '');
			if (!hidden(path)) out.push({ file, path });
		}
		return;
	}
	if (!entry.isDirectory || entry.name.startsWith('.')) return;
	const reader = (entry as DirectoryEntry).createReader();
	// readEntries answers in batches (100 in Chromium) until it answers none.
	for (;;) {
		const batch = await new Promise<DroppedEntry[]>((ok, fail) => reader.readEntries(ok, fail));
		if (!batch.length) return;
		for (const child of batch) await walk(child, false, out);
	}
}
