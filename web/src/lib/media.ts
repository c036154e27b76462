/**
 * Thumbnail and preview URLs for <img> tags, which cannot send a Bearer token: the ids
 * wanted during one frame are signed in one call (POST /api/assets/media-urls), each URL is
 * kept until shortly before it expires, and an image that fails to load is signed again once.
 * The server signs at the start of an hour window, so a re-sign gives the same URL and the
 * browser's cache keeps working.
 */
import { api } from './api/client';

export type Size = 'thumbnail' | 'preview';
const MAX_IDS = 500; // the route's limit
const RENEW_BEFORE_MS = 5 * 60 * 1000;

interface Entry {
	url: string | null;
	expires: number;
}

type Sign = (ids: string[], size: Size) => Promise<{ items: { assetId: string; thumbnail?: string | null; preview?: string | null }[]; expiresAt: string }>;

const defaultSign: Sign = (ids, size) =>
	api('post', '/api/assets/media-urls', { body: { assetIds: ids, sizes: [size] } });

export class MediaSigner {
	private cache = new Map<string, Entry>();
	private waiting = new Map<string, { resolve: (url: string | null) => void }[]>();
	private timer: ReturnType<typeof setTimeout> | null = null;
	calls = 0;

	constructor(
		private sign: Sign = defaultSign,
		private now: () => number = Date.now
	) {}

	private key(id: string, size: Size) {
		return `${size}:${id}`;
	}

	/** The URL if it is known and fresh, without waiting. */
	peek(id: string, size: Size): string | null | undefined {
		const hit = this.cache.get(this.key(id, size));
		if (hit && hit.expires - RENEW_BEFORE_MS > this.now()) return hit.url;
		return undefined;
	}

	/** A URL for the asset's ``size``, or null if it has none yet (or is not visible). */
	url(id: string, size: Size): Promise<string | null> {
		const known = this.peek(id, size);
		if (known !== undefined) return Promise.resolve(known);
		const key = this.key(id, size);
		return new Promise((resolve) => {
			const list = this.waiting.get(key);
			if (list) list.push({ resolve });
			else this.waiting.set(key, [{ resolve }]);
			this.timer ??= setTimeout(() => this.flush(), 0);
		});
	}

	/** Forget a URL that failed to load, so the next ``url`` signs it again. */
	invalidate(id: string, size: Size) {
		this.cache.delete(this.key(id, size));
	}

	private async flush() {
		this.timer = null;
		const pending = new Map(this.waiting);
		this.waiting.clear();
		const bySize = new Map<Size, string[]>();
		for (const key of pending.keys()) {
			const [size, id] = key.split(':') as [Size, string];
			bySize.set(size, [...(bySize.get(size) ?? []), id]);
		}
		await Promise.all(
			[...bySize].flatMap(([size, ids]) => {
				const chunks = [];
				for (let i = 0; i < ids.length; i += MAX_IDS) chunks.push(ids.slice(i, i + MAX_IDS));
				return chunks.map((chunk) => this.fetch(chunk, size, pending));
			})
		);
	}

	private async fetch(ids: string[], size: Size, pending: Map<string, { resolve: (u: string | null) => void }[]>) {
		let found = new Map<string, string | null>();
		let expires = this.now() + 60_000;
		try {
			this.calls++;
			const answer = await this.sign(ids, size);
			expires = Date.parse(answer.expiresAt);
			found = new Map(answer.items.map((item) => [item.assetId, item[size] ?? null]));
		} catch {
			// Leave them unknown (short expiry): the next look signs again.
		}
		for (const id of ids) {
			const url = found.get(id) ?? null;
			// "Not generated yet" is worth asking again soon; a URL until it nearly expires.
			const entry = { url, expires: url ? expires : this.now() + RENEW_BEFORE_MS + 10_000 };
			this.cache.set(this.key(id, size), entry);
			pending.get(this.key(id, size))?.forEach((w) => w.resolve(url));
		}
	}
}

export const signer = new MediaSigner();
