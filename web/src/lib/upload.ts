/**
 * The upload queue: the CLI's flow in the browser. Hash each file (incrementally), ask the
 * API in one bulk check which are new, fetch upload tickets for the new ones in batches,
 * and PUT the bytes straight to S3 (multipart for big files: each part signed with its own
 * checksum). Nothing but JSON goes to the API. Each file has its own status, progress and
 * error; a duplicate is reported as such, never as a failure.
 *
 * The network is a port (``UploadTransport``): the app passes the real one, tests a fake.
 */
import { sha256Base64 } from './hash';

export type FileStatus =
	| 'queued'
	| 'hashing'
	| 'checking'
	| 'uploading'
	| 'done'
	| 'duplicate'
	| 'error';

/** A file from a folder the user picked or dropped, with its path inside that folder
 * (``Trip/day 1/a.jpg``): sent as ``originalPath``, so the folder view shows the folder, as it
 * does the CLI's uploads. A lone file has no path. */
export interface FolderFile {
	file: File;
	path: string;
}

export interface UploadItem {
	id: string;
	file: File;
	/** Where the file sits in the folder it came from (see ``FolderFile``). */
	path?: string;
	status: FileStatus;
	/** 0..1 of the current step (hashing, then sending). */
	progress: number;
	checksum?: string;
	assetId?: string;
	error?: string;
}

export interface Ticket {
	id: string;
	status: 'created' | 'duplicate' | 'error';
	assetId?: string | null;
	uploadId?: string | null;
	method?: string | null;
	url?: string | null;
	headers?: Record<string, string> | null;
	partSize?: number | null;
	partCount?: number | null;
	error?: { message: string } | null;
}

export interface NewUpload {
	id: string;
	filename: string;
	size: number;
	checksum: string;
	contentType: string;
	fileCreatedAt: string;
	fileModifiedAt: string;
	originalPath?: string;
}

export interface CheckResult {
	id: string;
	action: 'accept' | 'reject';
	assetId?: string | null;
}

export interface SignedPart {
	partNumber: number;
	url: string;
	headers: Record<string, string>;
}

export interface UploadTransport {
	check(items: { id: string; checksum: string }[]): Promise<CheckResult[]>;
	tickets(uploads: NewUpload[]): Promise<Ticket[]>;
	/** PUT ``body`` to a presigned URL; resolves with the ETag S3 answered. */
	put(
		url: string,
		headers: Record<string, string>,
		body: Blob,
		onProgress: (sent: number) => void
	): Promise<string>;
	signParts(
		uploadId: string,
		parts: { partNumber: number; checksum: string }[]
	): Promise<SignedPart[]>;
	complete(uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<void>;
}

export const TICKET_BATCH = 32; // as the CLI: URLs stay fresh (they live 15 minutes)
export const CHECK_BATCH = 1000;
export const PART_SIGN_BATCH = 100;

// What browsers report for common camera files they do not know.
const EXTRA_TYPES: Record<string, string> = {
	heic: 'image/heic',
	heif: 'image/heif',
	dng: 'image/x-adobe-dng',
	mkv: 'video/x-matroska',
	mts: 'video/mp2t'
};

export function contentType(file: File): string {
	if (file.type) return file.type;
	const ext = file.name.split('.').pop()?.toLowerCase() ?? '';
	return EXTRA_TYPES[ext] ?? 'application/octet-stream';
}

export class UploadQueue {
	items: UploadItem[] = [];
	private seq = 0;

	constructor(
		private transport: UploadTransport,
		private onChange: (items: UploadItem[]) => void = () => {},
		private concurrency = 3,
		private hash: (file: Blob, onProgress: (done: number) => void) => Promise<string> = sha256Base64
	) {}

	add(files: Iterable<File | FolderFile>): UploadItem[] {
		const added = Array.from(files, (f) => ({
			id: String(++this.seq),
			...('file' in f ? f : { file: f }),
			status: 'queued' as FileStatus,
			progress: 0
		}));
		this.items.push(...added);
		this.changed();
		return added;
	}

	/** Uploads everything queued; resolves when each file is done, a duplicate or failed. */
	async run(): Promise<UploadItem[]> {
		const batch = this.items.filter((i) => i.status === 'queued');
		for (const item of batch) {
			await this.step(item, async () => {
				this.set(item, { status: 'hashing', progress: 0 });
				item.checksum = await this.hash(item.file, (done) =>
					this.set(item, { progress: item.file.size ? done / item.file.size : 1 })
				);
				this.set(item, { status: 'checking', progress: 0 });
			});
		}
		const hashed = batch.filter((i) => i.status === 'checking');
		const accepted = await this.checkAll(hashed);
		await this.sendAll(accepted);
		return batch;
	}

	private async checkAll(items: UploadItem[]): Promise<UploadItem[]> {
		const accepted: UploadItem[] = [];
		for (let i = 0; i < items.length; i += CHECK_BATCH) {
			const chunk = items.slice(i, i + CHECK_BATCH);
			let results: CheckResult[];
			try {
				results = await this.transport.check(
					chunk.map((it) => ({ id: it.id, checksum: it.checksum! }))
				);
			} catch (err) {
				chunk.forEach((it) => this.fail(it, err));
				continue;
			}
			const byId = new Map(results.map((r) => [r.id, r]));
			for (const item of chunk) {
				const verdict = byId.get(item.id);
				if (verdict?.action === 'reject') {
					this.set(item, { status: 'duplicate', assetId: verdict.assetId ?? undefined });
				} else accepted.push(item);
			}
		}
		return accepted;
	}

	private async sendAll(items: UploadItem[]): Promise<void> {
		let next = 0;
		const worker = async () => {
			while (next < items.length) {
				const chunk = items.slice(next, next + TICKET_BATCH);
				next += chunk.length;
				await this.sendChunk(chunk);
			}
		};
		// Tickets are fetched per batch, as workers need them, so no URL waits long unused.
		await Promise.all(Array.from({ length: Math.max(1, Math.min(2, this.concurrency)) }, worker));
	}

	private async sendChunk(chunk: UploadItem[]): Promise<void> {
		let tickets: Ticket[];
		try {
			tickets = await this.transport.tickets(chunk.map((it) => this.describe(it)));
		} catch (err) {
			chunk.forEach((it) => this.fail(it, err));
			return;
		}
		const byId = new Map(tickets.map((t) => [t.id, t]));
		let next = 0;
		const worker = async () => {
			while (next < chunk.length) {
				const item = chunk[next++];
				await this.step(item, () => this.sendOne(item, byId.get(item.id)));
			}
		};
		await Promise.all(Array.from({ length: this.concurrency }, worker));
	}

	private describe(item: UploadItem): NewUpload {
		const modified = new Date(item.file.lastModified || Date.now()).toISOString();
		return {
			id: item.id,
			filename: item.file.name,
			size: item.file.size,
			checksum: item.checksum!,
			contentType: contentType(item.file),
			fileCreatedAt: modified,
			fileModifiedAt: modified,
			...(item.path ? { originalPath: item.path } : {})
		};
	}

	private async sendOne(item: UploadItem, ticket: Ticket | undefined): Promise<void> {
		if (!ticket) throw new Error('The server gave no ticket for this file');
		if (ticket.status === 'duplicate') {
			this.set(item, { status: 'duplicate', assetId: ticket.assetId ?? undefined });
			return;
		}
		if (ticket.status === 'error') throw new Error(ticket.error?.message ?? 'Refused');
		this.set(item, { status: 'uploading', progress: 0, assetId: ticket.assetId ?? undefined });
		if (ticket.method === 'MULTIPART') await this.multipart(item, ticket);
		else {
			await this.transport.put(ticket.url!, ticket.headers ?? {}, item.file, (sent) =>
				this.set(item, { progress: sent / Math.max(1, item.file.size) })
			);
		}
		this.set(item, { status: 'done', progress: 1 });
	}

	private async multipart(item: UploadItem, ticket: Ticket): Promise<void> {
		const size = ticket.partSize!;
		const count = ticket.partCount!;
		const sent = new Map<number, number>();
		const progress = () => {
			let total = 0;
			sent.forEach((n) => (total += n));
			this.set(item, { progress: total / Math.max(1, item.file.size) });
		};
		const etags: { partNumber: number; etag: string }[] = [];
		for (let first = 1; first <= count; first += PART_SIGN_BATCH) {
			const numbers = Array.from(
				{ length: Math.min(PART_SIGN_BATCH, count - first + 1) },
				(_, i) => first + i
			);
			const slice = (n: number) => item.file.slice((n - 1) * size, n * size);
			const sums = [];
			for (const n of numbers) sums.push({ partNumber: n, checksum: await this.hash(slice(n), () => {}) });
			const signed = await this.transport.signParts(ticket.uploadId!, sums);
			let next = 0;
			const worker = async () => {
				while (next < signed.length) {
					const part = signed[next++];
					const etag = await this.transport.put(part.url, part.headers, slice(part.partNumber), (n) => {
						sent.set(part.partNumber, n);
						progress();
					});
					etags.push({ partNumber: part.partNumber, etag });
				}
			};
			await Promise.all(Array.from({ length: this.concurrency }, worker));
		}
		etags.sort((a, b) => a.partNumber - b.partNumber);
		await this.transport.complete(ticket.uploadId!, etags);
	}

	private async step(item: UploadItem, fn: () => Promise<void>): Promise<void> {
		try {
			await fn();
		} catch (err) {
			this.fail(item, err);
		}
	}

	private fail(item: UploadItem, err: unknown) {
		this.set(item, { status: 'error', error: err instanceof Error ? err.message : String(err) });
	}

	private set(item: UploadItem, changes: Partial<UploadItem>) {
		Object.assign(item, changes);
		this.changed();
	}

	private changed() {
		this.onChange(this.items);
	}

	get summary() {
		const count = (s: FileStatus) => this.items.filter((i) => i.status === s).length;
		return {
			total: this.items.length,
			done: count('done'),
			duplicates: count('duplicate'),
			failed: count('error'),
			pending: this.items.filter((i) => !['done', 'duplicate', 'error'].includes(i.status)).length
		};
	}
}
