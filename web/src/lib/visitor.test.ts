import { describe, expect, it } from 'vitest';
import { signLinkMedia, viewerUrls, visitorSigner } from './visitor';

type Call = { url: string; init: RequestInit };

function fakeFetch(answer: (body: { assetIds: string[]; sizes: string[] }) => [number, unknown]) {
	const calls: Call[] = [];
	const fetcher = (async (url: string, init: RequestInit) => {
		calls.push({ url, init });
		const [status, body] = answer(JSON.parse(String(init.body)));
		return new Response(JSON.stringify(body), { status });
	}) as unknown as typeof fetch;
	return { calls, fetcher };
}

describe('visitor media', () => {
	it('sends the token as a header, never in the URL', async () => {
		const { calls, fetcher } = fakeFetch(({ assetIds }) => [
			200,
			{ expiresAt: '2999-01-01T00:00:00Z', items: assetIds.map((id) => ({ assetId: id, thumbnail: `https://s3/${id}` })) }
		]);
		const signer = visitorSigner('tok-123', fetcher);
		const urls = await Promise.all(['a', 'b'].map((id) => signer.url(id, 'thumbnail')));
		expect(urls).toEqual(['https://s3/a', 'https://s3/b']);
		expect(calls).toHaveLength(1);
		expect(calls[0].url).toBe('/api/shared-links/me/media-urls');
		expect(calls[0].url).not.toContain('tok-123');
		expect((calls[0].init.headers as Record<string, string>)['x-shared-link-token']).toBe('tok-123');
		expect(JSON.parse(String(calls[0].init.body))).toEqual({ assetIds: ['a', 'b'], sizes: ['thumbnail'] });
	});

	it('asks for the video or the preview, and the original only when downloads are on', async () => {
		const asked: string[][] = [];
		const { fetcher } = fakeFetch(({ assetIds, sizes }) => {
			asked.push(sizes);
			return [200, { expiresAt: '2999-01-01T00:00:00Z', items: [{ assetId: assetIds[0], playback: 'p', preview: 'v' }] }];
		});
		expect((await viewerUrls('t', { id: 'x', type: 'VIDEO' }, true, fetcher))?.playback).toBe('p');
		expect((await viewerUrls('t', { id: 'x', type: 'IMAGE' }, false, fetcher))?.preview).toBe('v');
		expect(asked).toEqual([
			['playback', 'original'],
			['preview']
		]);
	});

	it('an error answer is an error with its message', async () => {
		const { fetcher } = fakeFetch(() => [403, { statusCode: 403, error: 'Forbidden', message: 'Downloads are off for this link' }]);
		await expect(signLinkMedia('t', ['x'], ['original'], fetcher)).rejects.toThrow('Downloads are off for this link');
	});
});
