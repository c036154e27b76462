import { describe, expect, it } from 'vitest';
import { sha256Base64 } from './hash';
import {
	TICKET_BATCH,
	UploadQueue,
	type NewUpload,
	type SignedPart,
	type Ticket,
	type UploadTransport
} from './upload';

function file(name: string, text: string, type = 'image/jpeg'): File {
	return new File([text], name, { type, lastModified: Date.UTC(2024, 4, 1) });
}

/** An in-memory server: known checksums are duplicates, "quota" files are refused, and a
 * PUT stores exactly the bytes sent (checked against the signed checksum as S3 does). */
class FakeServer implements UploadTransport {
	known = new Map<string, string>();
	stored = new Map<string, Uint8Array>();
	ticketCalls: NewUpload[][] = [];
	completed: { uploadId: string; parts: { partNumber: number; etag: string }[] }[] = [];
	partSize = 0;
	failPutFor = '';
	private signedSums = new Map<string, string>();

	async check(items: { id: string; checksum: string }[]) {
		return items.map((i) =>
			this.known.has(i.checksum)
				? { id: i.id, action: 'reject' as const, assetId: this.known.get(i.checksum) }
				: { id: i.id, action: 'accept' as const }
		);
	}

	async tickets(uploads: NewUpload[]): Promise<Ticket[]> {
		this.ticketCalls.push(uploads);
		return uploads.map((u) => {
			if (u.filename.startsWith('quota')) {
				return { id: u.id, status: 'error', error: { message: 'Over your storage quota' } };
			}
			const assetId = `asset-${u.filename}`;
			this.signedSums.set(`put:${assetId}`, u.checksum);
			if (this.partSize && u.size > this.partSize) {
				return {
					id: u.id,
					status: 'created',
					assetId,
					uploadId: `up-${u.filename}`,
					method: 'MULTIPART',
					partSize: this.partSize,
					partCount: Math.ceil(u.size / this.partSize)
				};
			}
			return { id: u.id, status: 'created', assetId, method: 'PUT', url: `put:${assetId}`, headers: {} };
		});
	}

	async put(url: string, _h: Record<string, string>, body: Blob, onProgress: (n: number) => void) {
		if (this.failPutFor && url.includes(this.failPutFor)) throw new Error('S3 said 400');
		const bytes = new Uint8Array(await body.arrayBuffer());
		if ((await sha256Base64(body)) !== this.signedSums.get(url)) throw new Error('checksum mismatch');
		onProgress(bytes.length / 2);
		onProgress(bytes.length);
		this.stored.set(url, bytes);
		return `"etag-${url}"`;
	}

	async signParts(uploadId: string, parts: { partNumber: number; checksum: string }[]) {
		return parts.map((p): SignedPart => {
			const url = `${uploadId}#${p.partNumber}`;
			this.signedSums.set(url, p.checksum);
			return { partNumber: p.partNumber, url, headers: {} };
		});
	}

	async complete(uploadId: string, parts: { partNumber: number; etag: string }[]) {
		this.completed.push({ uploadId, parts });
	}
}

describe('UploadQueue', () => {
	it('uploads new files, reports duplicates and per-file errors without stopping the rest', async () => {
		const server = new FakeServer();
		server.known.set(await sha256Base64(new Blob(['old bytes'])), 'asset-old');
		const snapshots: string[][] = [];
		const queue = new UploadQueue(server, (items) => snapshots.push(items.map((i) => i.status)));
		queue.add([
			file('a.jpg', 'alpha'),
			file('old.jpg', 'old bytes'),
			file('quota.jpg', 'too much'),
			file('clip.mov', 'video', '')
		]);

		const items = await queue.run();

		expect(items.map((i) => [i.file.name, i.status, i.assetId ?? i.error])).toEqual([
			['a.jpg', 'done', 'asset-a.jpg'],
			['old.jpg', 'duplicate', 'asset-old'],
			['quota.jpg', 'error', 'Over your storage quota'],
			['clip.mov', 'done', 'asset-clip.mov']
		]);
		expect(new TextDecoder().decode(server.stored.get('put:asset-a.jpg'))).toBe('alpha');
		// The duplicate never asked for a ticket; the type falls back to the name's extension.
		const asked = server.ticketCalls.flat();
		expect(asked.map((u) => u.filename)).toEqual(['a.jpg', 'quota.jpg', 'clip.mov']);
		expect(asked[0]).toMatchObject({ size: 5, contentType: 'image/jpeg', fileCreatedAt: '2024-05-01T00:00:00.000Z' });
		expect(asked[2].contentType).toBe('application/octet-stream');
		expect(queue.summary).toEqual({ total: 4, done: 2, duplicates: 1, failed: 1, pending: 0 });
		// Progress went through hashing and uploading for each file.
		expect(snapshots.some((s) => s[0] === 'hashing')).toBe(true);
		expect(snapshots.some((s) => s[0] === 'uploading')).toBe(true);
		expect(items[0].progress).toBe(1);
	});

	it('sends a folder file’s path as originalPath and none for a lone file', async () => {
		const server = new FakeServer();
		const queue = new UploadQueue(server);
		queue.add([{ file: file('a.jpg', 'in a folder'), path: 'Trip/day 1/a.jpg' }, file('b.jpg', 'on its own')]);

		const items = await queue.run();

		expect(items.map((i) => i.status)).toEqual(['done', 'done']);
		const [inFolder, alone] = server.ticketCalls.flat();
		expect(inFolder).toMatchObject({ filename: 'a.jpg', originalPath: 'Trip/day 1/a.jpg' });
		expect(alone.filename).toBe('b.jpg');
		expect('originalPath' in alone).toBe(false);
		expect(items[0].path).toBe('Trip/day 1/a.jpg');
	});

	it('sends big files in parts, each signed with its own checksum, and completes in order', async () => {
		const server = new FakeServer();
		server.partSize = 4;
		const queue = new UploadQueue(server);
		queue.add([file('big.mp4', 'abcdefghij', 'video/mp4')]);

		const [item] = await queue.run();

		expect(item.status).toBe('done');
		expect(server.completed).toEqual([
			{
				uploadId: 'up-big.mp4',
				parts: [1, 2, 3].map((n) => ({ partNumber: n, etag: `"etag-up-big.mp4#${n}"` }))
			}
		]);
		const parts = [1, 2, 3].map((n) => new TextDecoder().decode(server.stored.get(`up-big.mp4#${n}`)));
		expect(parts).toEqual(['abcd', 'efgh', 'ij']);
	});

	it('fetches tickets in batches and marks a failed PUT as that file’s error', async () => {
		const server = new FakeServer();
		server.failPutFor = 'f3.jpg';
		const queue = new UploadQueue(server);
		queue.add(Array.from({ length: TICKET_BATCH + 5 }, (_, i) => file(`f${i}.jpg`, `bytes ${i}`)));

		const items = await queue.run();

		expect(server.ticketCalls.map((c) => c.length)).toEqual([TICKET_BATCH, 5]);
		expect(items.filter((i) => i.status === 'error').map((i) => [i.file.name, i.error])).toEqual([
			['f3.jpg', 'S3 said 400']
		]);
		expect(queue.summary.done).toBe(TICKET_BATCH + 4);
	});

	it('fails every file of a batch whose check call failed, and keeps them out of tickets', async () => {
		const server = new FakeServer();
		server.check = async () => {
			throw new Error('Network down');
		};
		const queue = new UploadQueue(server);
		queue.add([file('x.jpg', 'x')]);
		const [item] = await queue.run();
		expect([item.status, item.error]).toEqual(['error', 'Network down']);
		expect(server.ticketCalls).toEqual([]);
	});
});
