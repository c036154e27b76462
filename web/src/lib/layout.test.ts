import { describe, expect, it } from 'vitest';
import { estimateHeight, justify } from './layout';

const opts = { width: 1000, targetHeight: 200, gap: 4 };

describe('justify', () => {
	it('fills every full row to the width exactly', () => {
		const ratios = [1.5, 1, 0.75, 2, 1.33, 1.5, 1, 1, 1.78, 0.66];
		const { boxes, rows } = justify(ratios, opts);
		for (const row of rows.slice(0, -1)) {
			const last = boxes[row.end - 1];
			expect(last.left + last.width).toBeCloseTo(1000, 6);
			expect(row.height).toBeLessThanOrEqual(200);
		}
		// Items keep their aspect ratio.
		boxes.forEach((b, i) => expect(b.width / b.height).toBeCloseTo(ratios[i], 6));
	});

	it('stacks rows with the gap and reports the total height', () => {
		const { rows, height } = justify([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], opts);
		expect(rows[1].top).toBeCloseTo(rows[0].height + 4, 6);
		const last = rows[rows.length - 1];
		expect(height).toBeCloseTo(last.top + last.height, 6);
	});

	it('does not stretch a short last row', () => {
		const { rows, boxes } = justify([1, 1, 1, 1, 1, 1.2], opts);
		const last = rows[rows.length - 1];
		expect(last.height).toBeLessThanOrEqual(250);
		const end = boxes[last.end - 1];
		expect(end.left + end.width).toBeLessThan(1000);
	});

	it('puts a lone panorama in a row of its own without a giant height', () => {
		const { rows, boxes } = justify([12], opts);
		expect(rows).toHaveLength(1);
		// Clamped to ratio 3 and, being a short last row, no higher than 1.25 × target.
		expect(boxes[0]).toEqual({ left: 0, top: 0, width: 750, height: 250 });
	});

	it('lays out 100k items and covers each item once', () => {
		const ratios = Float64Array.from({ length: 100_000 }, (_, i) => [1.5, 0.75, 1, 1.78][i % 4]);
		const { rows, boxes } = justify(ratios, opts);
		expect(rows[0].start).toBe(0);
		rows.forEach((row, i) => i && expect(row.start).toBe(rows[i - 1].end));
		expect(rows[rows.length - 1].end).toBe(100_000);
		expect(boxes.every(Boolean)).toBe(true);
	});

	it('handles nothing and bad ratios', () => {
		expect(justify([], opts)).toEqual({ boxes: [], rows: [], height: 0 });
		const { boxes } = justify([0, NaN, -1], opts);
		boxes.forEach((b) => expect(b.width).toBeCloseTo(b.height, 6));
	});
});

describe('estimateHeight', () => {
	it('is close to the real height for typical ratios', () => {
		const ratios = Array.from({ length: 500 }, (_, i) => [1.5, 0.75, 1.33, 1.5][i % 4]);
		const real = justify(ratios, opts).height;
		expect(Math.abs(estimateHeight(500, opts, 1.27) - real) / real).toBeLessThan(0.2);
		expect(estimateHeight(0, opts)).toBe(0);
	});
});
