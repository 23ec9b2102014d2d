import { describe, expect, it } from 'vitest';
import { ServiceMetrics, type ScrapedState } from '../../src/http/metrics.js';
import type { Verdict } from '../../src/types.js';

const scrape = (): ScrapedState => ({ queued: 3, queueBound: 100, queueDropped: 0, brokerConnected: true, inferenceRestarts: 1 });
const cameras = [
  { id: 'cam1', line: 'l1' },
  { id: 'cam2', line: 'l1' },
];

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

const verdict = (reason: Verdict['reason'], reject: boolean): Verdict => ({
  id: 'x', camera: 'cam1', line: 'l1', product: 'p', seq: 1, capturedAt: 1000, decidedAt: 1030, score: 0.1, threshold: 0.5, normalizedScore: 0.2, reject, reason, model: 'm@1',
});

describe('ServiceMetrics', () => {
  it('should count non-finite model outputs per camera from the totals the service keeps, from 0', async () => {
    let totals: Record<string, number> = {};
    const m = new ServiceMetrics({ model: 'demo@1', provider: 'cpu', cameras, scrape: () => ({ ...scrape(), nonFinite: totals }) });
    expect(sample(await m.text(), 'uniad_non_finite_outputs_total', '{camera="cam1",line="l1"}')).toBe(0);
    totals = { cam1: 3 };
    expect(sample(await m.text(), 'uniad_non_finite_outputs_total', '{camera="cam1",line="l1"}')).toBe(3);
    totals = { cam1: 5, cam2: 1 };
    const text = await m.text();
    expect(sample(text, 'uniad_non_finite_outputs_total', '{camera="cam1",line="l1"}')).toBe(5);
    expect(sample(text, 'uniad_non_finite_outputs_total', '{camera="cam2",line="l1"}')).toBe(1);
  });

  it('should expose every camera series at 0 before any frame, with the provider and scraped MQTT state', async () => {
    const m = new ServiceMetrics({ model: 'demo@1', provider: 'cpu', cameras, scrape });
    const text = await m.text();
    expect(sample(text, 'uniad_frames_total', '{camera="cam2",line="l1"}')).toBe(0);
    expect(sample(text, 'uniad_verdicts_total', '{camera="cam1",line="l1",reason="deadline"}')).toBe(0);
    expect(sample(text, 'uniad_execution_provider_info', '{provider="cpu",model="demo@1"}')).toBe(1);
    expect(sample(text, 'uniad_mqtt_queue_depth')).toBe(3);
    expect(sample(text, 'uniad_mqtt_connected')).toBe(1);
    expect(sample(text, 'uniad_inference_restarts_total')).toBe(1);
    expect(sample(text, 'uniad_mqtt_queue_dropped_total')).toBe(0);
    // counts since the start are counters: rate() and increase() take them
    expect(text).toContain('# TYPE uniad_inference_restarts_total counter');
    expect(text).toContain('# TYPE uniad_mqtt_queue_dropped_total counter');
    expect([...text.matchAll(/^# TYPE (\w+) gauge$/gm)].map(([, name]) => name).filter((n) => /uniad_/.test(n!))).toEqual(['uniad_camera_last_frame_timestamp_seconds', 'uniad_camera_up', 'uniad_frames_waiting', 'uniad_execution_provider_info', 'uniad_mqtt_queue_depth', 'uniad_mqtt_queue_bound', 'uniad_mqtt_connected']);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('should count frames, verdicts by reason, rejects, restarts, and fill the histograms', async () => {
    const m = new ServiceMetrics({ model: 'demo@1', provider: 'cpu', cameras, scrape });
    m.frame('cam1', 5000);
    m.frame('cam1', 5100);
    m.verdict(verdict('ok', false), 1040);
    m.verdict(verdict('anomaly', true), 1200);
    m.verdict(verdict('deadline', true), 3500);
    m.cameraRestart('cam2');
    m.framesLost('cam1', 3);
    m.inference(4, 0.03);
    m.backlog(new Map([['cam1', 7]]));
    const text = await m.text();
    expect(sample(text, 'uniad_frames_total', '{camera="cam1",line="l1"}')).toBe(2);
    expect(sample(text, 'uniad_camera_last_frame_timestamp_seconds', '{camera="cam1",line="l1"}')).toBe(5.1);
    expect(sample(text, 'uniad_verdicts_total', '{camera="cam1",line="l1",reason="anomaly"}')).toBe(1);
    expect(sample(text, 'uniad_verdicts_total', '{camera="cam1",line="l1",reason="deadline"}')).toBe(1);
    expect(sample(text, 'uniad_rejects_total', '{camera="cam1",line="l1"}')).toBe(2);
    expect(sample(text, 'uniad_camera_restarts_total', '{camera="cam2",line="l1"}')).toBe(1);
    expect(sample(text, 'uniad_frames_lost_total', '{camera="cam1",line="l1"}')).toBe(3);
    expect(sample(text, 'uniad_frames_waiting', '{camera="cam1",line="l1"}')).toBe(7);
    expect(sample(text, 'uniad_frames_waiting', '{camera="cam2",line="l1"}')).toBe(0);
    expect(sample(text, 'uniad_batch_size_bucket', '{le="4"}')).toBe(1);
    expect(sample(text, 'uniad_batch_size_bucket', '{le="2"}')).toBe(0);
    expect(sample(text, 'uniad_inference_seconds_count')).toBe(1);
    // latencies 0.04, 0.2, 2.5 s
    expect(sample(text, 'uniad_capture_to_publish_seconds_bucket', '{le="0.05",camera="cam1",line="l1"}')).toBe(1);
    expect(sample(text, 'uniad_capture_to_publish_seconds_bucket', '{le="0.25",camera="cam1",line="l1"}')).toBe(2);
    expect(sample(text, 'uniad_capture_to_publish_seconds_count', '{camera="cam1",line="l1"}')).toBe(3);
  });
});
