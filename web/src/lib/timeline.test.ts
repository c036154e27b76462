import { describe, expect, it } from 'vitest';
import { CHUNK, HEADER, MAX_SCROLL_HEIGHT, TimelineModel } from './timeline';

const asset = (i: number) => ({ id: `a${i}`, ratio: [1.5, 0.75, 1][i % 3] });
const months = (counts: number[]) =>
	counts.map((count, i) => ({ timeBucket: `2024-${String(12 - i).padStart(2, '0')}-01`, count }));

describe('TimelineModel', () => {
	it('stacks months by estimate, then by layout once assets arrive', () => {
		const model = new TimelineModel({ width: 1000, targetHeight: 200 });
		model.setBuckets(months([10, 10, 10]));
		const estimated = model.sections[1].top;
		expect(estimated).toBeGreaterThan(HEADER);

		const moved = model.setAssets(0, Array.from({ length: 10 }, (_, i) => asset(i)));
		const { items } = model.visible(0, 2000);
		expect(items.filter((p) => p.section === 0)).toHaveLength(10);
		// Everything below the first month moved by exactly the change of its height.
		expect(model.sections[1].top).toBeCloseTo(model.sections[0].height, 6);
		expect(typeof moved).toBe('number');
		expect(model.height).toBeCloseTo(model.sections.reduce((s, x) => s + x.height, 0), 6);
	});

	it('draws only what is in view, even in a 70k-asset month, laying out a chunk at a time', () => {
		const model = new TimelineModel({ width: 1200, targetHeight: 200 });
		model.setBuckets(months([70_000, 5]));
		model.setAssets(0, Array.from({ length: 70_000 }, (_, i) => asset(i)));
		const middle = model.sections[0].top + model.sections[0].height / 2;
		const { items } = model.visible(middle, middle + 900);
		expect(items.length).toBeGreaterThan(0);
		expect(items.length).toBeLessThan(60);
		const laidOut = model.sections[0].chunks!.filter((c) => c.layout).length;
		expect(laidOut).toBeLessThanOrEqual(2);
		expect(model.sections[0].chunks!.length).toBe(Math.ceil(70_000 / CHUNK));
		for (const p of items) expect(p.box.top + p.box.height).toBeGreaterThanOrEqual(middle);
	});

	it('caps the scroll height for a huge library and maps both ends exactly', () => {
		const model = new TimelineModel({ width: 400, targetHeight: 200 });
		model.setBuckets(months(Array.from({ length: 12 }, () => 100_000)));
		expect(model.height).toBeGreaterThan(MAX_SCROLL_HEIGHT);
		expect(model.scrollHeight).toBe(MAX_SCROLL_HEIGHT);
		const viewport = 800;
		expect(model.virtualTop(0, viewport)).toBe(0);
		expect(model.virtualTop(MAX_SCROLL_HEIGHT - viewport, viewport)).toBeCloseTo(model.height - viewport, 3);
		const oldest = model.sections[11].top;
		expect(model.virtualTop(model.scrollTopFor(oldest, viewport), viewport)).toBeCloseTo(oldest, 3);
	});

	it('steps to the next and previous month at the edges', () => {
		const model = new TimelineModel({ width: 1000, targetHeight: 200 });
		model.setBuckets(months([2, 0, 3]));
		expect(model.neighbour(0, 1, 1)).toEqual({ section: 2, index: 0 });
		expect(model.neighbour(2, 0, -1)).toEqual({ section: 0, index: 1 });
		expect(model.neighbour(2, 2, 1)).toBeNull();
		expect(model.neighbour(0, 0, -1)).toBeNull();
	});
});
