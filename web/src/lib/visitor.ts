/**
 * A shared-link visitor's media. <img> and <video> tags and download links cannot send the
 * visitor token (a header), and no visitor route takes a secret in its URL: the page asks
 * POST /api/shared-links/me/media-urls, token as a header, for signed S3 URLs of the link's
 * assets, each naming one object (originals only when the link allows downloads).
 */
import { buildUrl, type Schemas } from './api/client';
import { MediaSigner } from './media';

export type LinkSize = 'thumbnail' | 'preview' | 'playback' | 'original';
export type LinkUrls = Schemas['LinkMediaUrls'];
type Fetch = typeof fetch;

export async function signLinkMedia(
	token: string,
	ids: string[],
	sizes: LinkSize[],
	fetcher: Fetch = fetch
): Promise<Schemas['LinkMediaUrlsResponse']> {
	const response = await fetcher(buildUrl('/api/shared-links/me/media-urls', {}, {}), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'x-shared-link-token': token },
		body: JSON.stringify({ assetIds: ids, sizes })
	});
	const data = await response.json();
	if (!response.ok) throw new Error(data?.message ?? response.statusText);
	return data;
}

/** The grid's thumbnails: batched, cached and re-signed like a signed-in user's. */
export function visitorSigner(token: string, fetcher: Fetch = fetch): MediaSigner {
	return new MediaSigner((ids, size) => signLinkMedia(token, ids, [size], fetcher));
}

/** What the viewer shows for one asset: its preview or video, and the download if allowed. */
export async function viewerUrls(
	token: string,
	asset: { id: string; type?: string },
	allowDownload: boolean,
	fetcher: Fetch = fetch
): Promise<LinkUrls | null> {
	const sizes: LinkSize[] = [asset.type === 'VIDEO' ? 'playback' : 'preview'];
	if (allowDownload) sizes.push('original');
	const answer = await signLinkMedia(token, [asset.id], sizes, fetcher);
	return answer.items[0] ?? null;
}
