import { mergeExpositions, statusClass } from '../../domain/prometheus';

describe('Prometheus text helpers', () => {
  test('status classes for the request histogram', () => {
    expect([200, 201, 304, 403, 503, 99].map(statusClass)).toEqual(['2xx', '2xx', '3xx', '4xx', '5xx', 'other']);
  });

  test("two queues' BullMQ expositions merge into one family each, every sample kept", () => {
    const queue = (name: string, waiting: number) =>
      [
        '# HELP bullmq_job_count Number of jobs in the queue by state',
        '# TYPE bullmq_job_count gauge',
        `bullmq_job_count{queue="${name}", state="waiting"} ${waiting}`,
        '# HELP bullmq_job_completed_total Total number of completed jobs',
        '# TYPE bullmq_job_completed_total counter',
        `bullmq_job_completed_total{queue="${name}"} 3`,
      ].join('\n');
    const merged = mergeExpositions([queue('a', 1), queue('b', 2)]);
    expect(merged.split('\n')).toEqual([
      '# HELP bullmq_job_count Number of jobs in the queue by state',
      '# TYPE bullmq_job_count gauge',
      'bullmq_job_count{queue="a", state="waiting"} 1',
      'bullmq_job_count{queue="b", state="waiting"} 2',
      '# HELP bullmq_job_completed_total Total number of completed jobs',
      '# TYPE bullmq_job_completed_total counter',
      'bullmq_job_completed_total{queue="a"} 3',
      'bullmq_job_completed_total{queue="b"} 3',
      '',
    ]);
    expect(mergeExpositions([])).toBe('');
  });
});
