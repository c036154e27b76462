import { describe, expect, it } from 'vitest';
import { MotionHover } from './motion';

function setup(answer: () => Promise<string> = async () => 'https://s3/motion.mp4?sig=1') {
	const calls: number[] = [];
	const shown: (string | null)[] = [];
	let n = 0;
	const hover = new MotionHover(
		() => {
			calls.push(++n);
			return answer();
		},
		(url) => shown.push(url)
	);
	return { hover, calls, shown };
}

describe('MotionHover', () => {
	it('asks for the URL on the first hover only, plays while hovered and stops on leave', async () => {
		const { hover, calls, shown } = setup();
		expect(calls).toEqual([]);
		await hover.enter();
		expect(hover.playing).toBe('https://s3/motion.mp4?sig=1');
		hover.leave();
		await hover.enter();
		expect(calls).toEqual([1]);
		expect(shown).toEqual(['https://s3/motion.mp4?sig=1', null, 'https://s3/motion.mp4?sig=1']);
	});

	it('does not play when the pointer left before the URL arrived, and asks once for two quick hovers', async () => {
		let release: (url: string) => void = () => {};
		const { hover, calls, shown } = setup(() => new Promise((ok) => (release = ok)));
		const first = hover.enter();
		hover.leave();
		const second = hover.enter();
		hover.leave();
		release('https://s3/late.mp4');
		await Promise.all([first, second]);
		expect(calls).toEqual([1]);
		expect(hover.playing).toBeNull();
		expect(shown).toEqual([]);
	});

	it('stays still when the URL cannot be had, and asks again after a failed playback', async () => {
		let fail = true;
		const { hover, calls } = setup(async () => {
			if (fail) throw new Error('404');
			return 'https://s3/ok.mp4';
		});
		await hover.enter();
		expect(hover.playing).toBeNull();
		fail = false;
		hover.leave();
		await hover.enter();
		expect(hover.playing).toBe('https://s3/ok.mp4');
		hover.failed();
		hover.leave();
		await hover.enter();
		expect(calls).toEqual([1, 2, 3]);
		expect(hover.playing).toBe('https://s3/ok.mp4');
	});
});
