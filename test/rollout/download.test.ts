/** Downloads from a tiny HTTP store on loopback: verified by hash, nothing left behind when refused. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadRollout } from '../../src/rollout/download.js';
import type { Rollout } from '../../src/rollout/message.js';

const files: Record<string, string> = { '/m.onnx': 'model bytes', '/m.json': '{"version":"2.0.0"}' };
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('downloading a rollout', () => {
  let server: Server;
  let base: string;
  const dir = mkdtempSync(join(tmpdir(), 'uniad-download-'));
  beforeAll(async () => {
    server = createServer((req, res) => (files[req.url!] === undefined ? res.writeHead(404, 'Not Found').end() : res.end(files[req.url!])));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const rollout = (model = '/m.onnx', modelSha = sha(files['/m.onnx']!)): Rollout => ({
    id: 'r1',
    version: '2.0.0',
    model: { url: `${base}${model}`, sha256: modelSha },
    sidecar: { url: `${base}/m.json`, sha256: sha(files['/m.json']!) },
    canary: 'edge-1',
    by: 'ann',
  });

  it('should write the model and its sidecar beside it once both hashes match', async () => {
    const model = await downloadRollout(rollout(), join(dir, 'ok'));
    expect(model).toBe(join(dir, 'ok', '2.0.0.onnx'));
    expect(readFileSync(model, 'utf8')).toBe('model bytes');
    expect(readFileSync(join(dir, 'ok', '2.0.0.json'), 'utf8')).toBe(files['/m.json']);
  });

  it('should refuse a file whose hash differs with ROLLOUT_HASH and keep nothing', async () => {
    await expect(downloadRollout(rollout('/m.onnx', 'c'.repeat(64)), join(dir, 'bad'))).rejects.toMatchObject({ code: 'ROLLOUT_HASH', message: expect.stringContaining(`it says sha256 ${'c'.repeat(64)}, the download has ${sha('model bytes')}`) });
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('should refuse a file the store does not serve with ROLLOUT_DOWNLOAD naming the URL and the HTTP status', async () => {
    await expect(downloadRollout(rollout('/gone.onnx'), join(dir, 'gone'))).rejects.toMatchObject({ code: 'ROLLOUT_DOWNLOAD', message: expect.stringMatching(/cannot download "http:\/\/127\.0\.0\.1:\d+\/gone\.onnx": HTTP 404 Not Found/) });
    expect(existsSync(join(dir, 'gone'))).toBe(false);
  });
});
