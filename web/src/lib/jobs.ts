/**
 * Bulk jobs: an action over a whole library (emptying the trash, restoring all of it,
 * re-queuing a stage) answers 202 with a job that the server's worker does in batches.
 * `waitForJob` polls its status route until it is done.
 */
import { api, type Schemas } from '$lib/api/client';

export type BulkJob = Schemas['BulkJobResponse'];

const fetchJob = (id: string): Promise<BulkJob> => api('get', '/api/bulk-jobs/{job_id}', { path: { job_id: id } });
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const finished = (job: BulkJob) => job.status === 'succeeded' || job.status === 'failed';

/** Polls until the job has succeeded or failed; `onProgress` sees every state on the way. */
export async function waitForJob(
	job: BulkJob,
	{
		get = fetchJob,
		sleep = pause,
		intervalMs = 1000,
		onProgress = () => {}
	}: {
		get?: (id: string) => Promise<BulkJob>;
		sleep?: (ms: number) => Promise<void>;
		intervalMs?: number;
		onProgress?: (job: BulkJob) => void;
	} = {}
): Promise<BulkJob> {
	while (!finished(job)) {
		await sleep(intervalMs);
		job = await get(job.id);
		onProgress(job);
	}
	return job;
}
