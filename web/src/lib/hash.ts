/**
 * SHA-256 of a file read in slices. WebCrypto's digest() takes the whole buffer at once,
 * which for a 4 GB video means 4 GB of memory; hash-wasm's hasher is fed one slice at a
 * time, so memory stays at one slice whatever the file's size.
 */
import { createSHA256 } from 'hash-wasm';

export const HASH_SLICE = 8 * 1024 * 1024;

export async function sha256(
	blob: Blob,
	onProgress?: (done: number) => void,
	slice = HASH_SLICE
): Promise<Uint8Array> {
	const hasher = await createSHA256();
	hasher.init();
	for (let offset = 0; offset < blob.size; offset += slice) {
		const chunk = await blob.slice(offset, offset + slice).arrayBuffer();
		hasher.update(new Uint8Array(chunk));
		onProgress?.(Math.min(blob.size, offset + slice));
	}
	return hasher.digest('binary');
}

export function toBase64(bytes: Uint8Array): string {
	let binary = '';
	for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
	return btoa(binary);
}

export function toHex(bytes: Uint8Array): string {
	return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function sha256Base64(blob: Blob, onProgress?: (done: number) => void) {
	return toBase64(await sha256(blob, onProgress));
}
