import { describe, expect, it } from 'vitest';
import { MediaSigner } from './media';

describe('MediaSigner', () => {
	it('signs everything asked in one tick with one call, and caches until near expiry', async () => {
		let now = Date.parse('2026-01-01T10:00:00Z');
		const asked: string[][] = [];
		const signer = new MediaSigner(async (ids, size) => {
			asked.push(ids);
			return {
				expiresAt: '2026-01-01T12:00:00Z',
				items: ids.filter((id) => id !== 'stranger').map((id) => ({ assetId: id, [size]: `https://s3/${id}` }))
			};
		}, () => now);

		const urls = await Promise.all(['a', 'b', 'stranger', 'a'].map((id) => signer.url(id, 'thumbnail')));
		expect(urls).toEqual(['https://s3/a', 'https://s3/b', null, 'https://s3/a']);
		expect(asked).toEqual([['a', 'b', 'stranger']]);

		now = Date.parse('2026-01-01T11:50:00Z');
		expect(await signer.url('a', 'thumbnail')).toBe('https://s3/a');
		expect(asked).toHaveLength(1);
		now = Date.parse('2026-01-01T11:56:00Z'); // within five minutes of expiry: sign again
		await signer.url('a', 'thumbnail');
		expect(asked).toHaveLength(2);
	});

	it('signs again after an image failed to load', async () => {
		let n = 0;
		const signer = new MediaSigner(async (ids) => ({
			expiresAt: '2999-01-01T00:00:00Z',
			items: ids.map((id) => ({ assetId: id, preview: `u${++n}` }))
		}));
		expect(await signer.url('x', 'preview')).toBe('u1');
		signer.invalidate('x', 'preview');
		expect(await signer.url('x', 'preview')).toBe('u2');
	});
});
