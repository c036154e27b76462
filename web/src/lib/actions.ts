/** Bulk actions on a selection (the selection bar and the keyboard use these). */
import { api } from './api/client';
import { waitForJob, type BulkJob } from './jobs';

export async function setFlags(ids: string[], changes: { isFavorite?: boolean; isArchived?: boolean }) {
	// No bulk update route: one PUT each, a few at a time.
	const queue = [...ids];
	const worker = async () => {
		while (queue.length) {
			const id = queue.shift()!;
			await api('put', '/api/assets/{asset_id}', { path: { asset_id: id }, body: changes });
		}
	};
	await Promise.all(Array.from({ length: 4 }, worker));
}

export async function trash(ids: string[], force = false) {
	// Deleting many for good is a bulk job on the server (202, else 204): wait for it, so the
	// caller refreshes once they are gone.
	const job = (await api('delete', '/api/assets', { body: { ids, force } })) as BulkJob | undefined;
	if (!job?.id) return;
	const done = await waitForJob(job);
	if (done.status === 'failed') throw new Error(done.error ?? 'Deleting failed');
}

export async function restore(ids: string[]) {
	await api('post', '/api/trash/restore', { body: { ids } });
}

/** The first selected becomes the primary; stacks they were in merge into the new one. */
export async function stack(ids: string[]) {
	if (ids.length < 2) throw new Error('Select at least two to stack');
	return api('post', '/api/stacks', { body: { assetIds: ids } });
}

export async function addToAlbum(albumId: string, ids: string[]) {
	return api('put', '/api/albums/{album_id}/assets', { path: { album_id: albumId }, body: { ids } });
}

/** Asks for a zip of the assets, waits for the archive stage, and starts each part's download. */
export async function downloadZip(ids: string[], onStatus: (s: string) => void = () => {}) {
	let archive = await api('post', '/api/download/archive', { body: { assetIds: ids } });
	const deadline = Date.now() + 5 * 60_000;
	while (archive.status === 'queued' || archive.status === 'running') {
		if (Date.now() > deadline) throw new Error('The zip is taking too long; try again later');
		onStatus(`Preparing zip… (${archive.parts.filter((p) => p.status === 'done').length}/${archive.parts.length})`);
		await new Promise((r) => setTimeout(r, 1000));
		archive = await api('get', '/api/download/archive/{archive_id}', { path: { archive_id: archive.id } });
	}
	if (archive.status === 'failed') throw new Error('The zip could not be made');
	for (const part of archive.parts) {
		if (!part.url) continue;
		const a = document.createElement('a');
		a.href = part.url;
		a.download = '';
		document.body.append(a);
		a.click();
		a.remove();
	}
	return archive;
}
