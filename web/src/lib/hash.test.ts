import { describe, expect, it } from 'vitest';
import { sha256, toBase64, toHex } from './hash';

describe('sha256', () => {
	it('matches the FIPS 180-2 digests', async () => {
		const abc = new Blob(['abc']);
		expect(toHex(await sha256(abc))).toBe(
			'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
		);
		expect(toHex(await sha256(new Blob([])))).toBe(
			'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
		);
	});

	it('gives the same digest whatever the slice size, with progress per slice', async () => {
		// One million "a"s: the FIPS 180-2 long-message vector, fed in odd-sized slices.
		const million = new Blob(['a'.repeat(1_000_000)]);
		const seen: number[] = [];
		const digest = await sha256(million, (done) => seen.push(done), 65_537);
		expect(toHex(digest)).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
		expect(seen.length).toBe(Math.ceil(1_000_000 / 65_537));
		expect(seen[seen.length - 1]).toBe(1_000_000);
		const whole = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('a'.repeat(1e6)));
		expect(toBase64(digest)).toBe(toBase64(new Uint8Array(whole)));
	});
});
