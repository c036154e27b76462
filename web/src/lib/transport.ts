/** The real network behind the upload queue: the API for JSON, XHR for the S3 PUTs
 * (fetch has no upload progress). */
import { api, buildUrl } from './api/client';
import type { NewUpload, Ticket, UploadTransport } from './upload';

export function putToS3(
	url: string,
	headers: Record<string, string>,
	body: Blob,
	onProgress: (sent: number) => void
): Promise<string> {
	return new Promise((resolve, reject) => {
		const xhr = new XMLHttpRequest();
		xhr.open('PUT', url);
		for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
		xhr.upload.onprogress = (e) => onProgress(e.loaded);
		xhr.onload = () => {
			if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.getResponseHeader('ETag') ?? '');
			else reject(new Error(`Storage refused the file (${xhr.status})`));
		};
		xhr.onerror = () => reject(new Error('Network error while sending the file'));
		xhr.send(body);
	});
}

export const userTransport: UploadTransport = {
	async check(items) {
		const r = await api('post', '/api/assets/bulk-upload-check', { body: { assets: items } });
		return r.results.map((x) => ({ id: x.id, action: x.action, assetId: x.assetId }));
	},
	async tickets(uploads) {
		const r = await api('post', '/api/assets/bulk-uploads', { body: { uploads } });
		return r.results as Ticket[];
	},
	put: putToS3,
	async signParts(uploadId, parts) {
		const r = await api('post', '/api/assets/uploads/{upload_id}/parts', {
			path: { upload_id: uploadId },
			body: { parts }
		});
		return r.parts;
	},
	async complete(uploadId, parts) {
		await api('post', '/api/assets/uploads/{upload_id}/complete', {
			path: { upload_id: uploadId },
			body: { parts }
		});
	}
};

/** A shared-link visitor (link allows uploads): one ticket per file, no bulk routes. */
export function visitorTransport(token: string): UploadTransport {
	return {
		async check(items) {
			return items.map((i) => ({ id: i.id, action: 'accept' as const }));
		},
		async tickets(uploads: NewUpload[]) {
			return Promise.all(
				// A visitor's folders are not the owner's: their uploads keep no path.
				uploads.map(async ({ id, originalPath: _folder, ...dto }) => {
					const response = await fetch(buildUrl('/api/shared-links/me/uploads', {}, {}), {
						method: 'POST',
						headers: { 'Content-Type': 'application/json', 'x-shared-link-token': token },
						body: JSON.stringify(dto)
					});
					const data = await response.json();
					if (!response.ok) return { id, status: 'error' as const, error: data };
					return { ...data, id, status: data.status === 'duplicate' ? 'duplicate' : 'created' };
				})
			);
		},
		put: putToS3,
		async signParts() {
			throw new Error('Files this large cannot be added through a shared link');
		},
		async complete() {}
	};
}
