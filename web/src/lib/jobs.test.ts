import { describe, expect, it } from 'vitest';
import { waitForJob, type BulkJob } from './jobs';

const job = (status: BulkJob['status'], processed: number, error: string | null = null): BulkJob => ({
	id: 'j1',
	kind: 'empty-trash',
	status,
	params: {},
	processed,
	total: 3,
	error,
	createdAt: '2026-01-01T10:00:00Z',
	startedAt: null,
	finishedAt: null,
	updatedAt: '2026-01-01T10:00:00Z'
});

describe('waitForJob', () => {
	it('polls the status route until the job succeeded, reporting progress', async () => {
		const states = [job('running', 1), job('running', 2), job('succeeded', 3)];
		const asked: string[] = [];
		const slept: number[] = [];
		const seen: number[] = [];
		const done = await waitForJob(job('queued', 0), {
			get: async (id) => (asked.push(id), states.shift()!),
			sleep: async (ms) => void slept.push(ms),
			onProgress: (j) => seen.push(j.processed)
		});
		expect(done.status).toBe('succeeded');
		expect(done.processed).toBe(3);
		expect(asked).toEqual(['j1', 'j1', 'j1']);
		expect(slept).toEqual([1000, 1000, 1000]);
		expect(seen).toEqual([1, 2, 3]);
	});

	it('stops at a failed job with its error, and does not poll a finished one', async () => {
		const failed = await waitForJob(job('running', 1), {
			get: async () => job('failed', 1, 'RuntimeError: S3 is unreachable'),
			sleep: async () => {}
		});
		expect([failed.status, failed.error]).toEqual(['failed', 'RuntimeError: S3 is unreachable']);
		let polled = false;
		await waitForJob(job('succeeded', 3), { get: async () => ((polled = true), job('succeeded', 3)) });
		expect(polled).toBe(false);
	});
});
