import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';
import { NATS_SERVER } from '../support/nats-cluster.js';

describe('the backbone node config (deploy/nats/nats-server.conf)', () => {
  it('should be a valid nats-server config with JetStream, the cluster routes and MQTT streams on 3 replicas', () => {
    const r = spawnSync(NATS_SERVER, ['-t', '-c', join(repoRoot, 'deploy/nats/nats-server.conf')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr).toContain('is valid');
    expect(r.status).toBe(0);
  });
});
