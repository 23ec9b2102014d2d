/**
 * deploy/jetson/install.sh against a temporary root: a real bundle of this checkout, real users and modes in the
 * root's /etc/passwd, the installed release run with node. systemd cannot run here: upgrade and rollback talk to a
 * stand-in `systemctl` (written below) that reports a release as failed when its version is in $BAD_VERSIONS.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.js';

const run = promisify(execFile);
const script = join(repoRoot, 'deploy/jetson/install.sh');
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

const stubSystemctl = `#!/usr/bin/env bash
echo "$*" >> "$STUB_LOG"
if [ "$1" = is-active ]; then
  v="$(node -p "require('$STUB_ROOT/opt/uniad-edge/current/package.json').version")"
  case " $BAD_VERSIONS " in *" $v "*) exit 3 ;; esac
fi
exit 0
`;

let work: string;
let bundle: string;
let root: string;

/** Runs install.sh; a failure keeps its exit code and output, and says them in its message. */
async function sh(args: string[], env: Record<string, string> = {}) {
  return run('bash', [script, ...args], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 }).catch((err: Error & { stdout: string; stderr: string }) => {
    err.message += `\n${err.stdout}${err.stderr}`;
    throw err;
  });
}

/** A second release made the way a new version arrives: the same tree with another version in it. */
async function rebundle(newVersion: string): Promise<string> {
  const dir = mkdtempSync(join(work, 'rebundle-'));
  await run('tar', ['-C', dir, '-xzf', bundle]);
  const top = join(dir, readdirSync(dir)[0]!);
  const pkg = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(join(top, 'package.json'), JSON.stringify({ ...pkg, version: newVersion }));
  writeFileSync(join(top, 'BUNDLE'), readFileSync(join(top, 'BUNDLE'), 'utf8').replace(/^version=.*$/m, `version=${newVersion}`));
  // Uncompressed: install.sh lets tar detect the compression, and gzip would only slow the test.
  const file = join(work, `uniad-edge-${newVersion}.tar`);
  await run('tar', ['-C', dir, '-cf', file, readdirSync(dir)[0]!]);
  await rm(dir, { recursive: true });
  return file;
}

const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);
const owner = (p: string) => `${statSync(p).uid}:${statSync(p).gid}`;
const ids = (name: string, file: 'passwd' | 'group') =>
  readFileSync(join(root, 'etc', file), 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === name)!;

describe('install.sh', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'uniad-install-'));
    chmodSync(work, 0o755); // the service user must be able to walk into the root
    root = join(work, 'root');
    await sh(['bundle', '--out', work]);
    bundle = join(work, readdirSync(work).find((f) => f.endsWith('.tar.gz'))!);
  }, 240_000);
  afterAll(() => rm(work, { recursive: true, force: true }), 120_000);

  it('should install a release with production dependencies only, and config, state and models with the right owners', async () => {
    await sh(['install', '--root', root, '--bundle', bundle]);
    const opt = join(root, 'opt/uniad-edge');
    expect(readlinkSync(join(opt, 'current'))).toBe(`releases/${version}`);
    const modules = join(opt, 'current/node_modules');
    for (const dep of ['mqtt', 'aedes', 'onnxruntime-node', 'prom-client', 'unix-dgram', 'gstreamer-superficial']) expect(existsSync(join(modules, dep)), dep).toBe(true);
    for (const dev of ['@tensorflow', 'nsfwjs', 'playwright-core', 'vitest', 'typescript', 'tsx']) expect(existsSync(join(modules, dev)), dev).toBe(false);
    expect(readdirSync(join(modules, 'onnxruntime-node/bin/napi-v6'))).toEqual(['linux']);

    const [, , uid, gid] = ids('uniad', 'passwd');
    expect(ids('video', 'group')[3]).toContain('uniad');
    expect(ids('render', 'group')[3]).toContain('uniad');
    expect([mode(join(root, 'etc/uniad-edge')), owner(join(root, 'etc/uniad-edge'))]).toEqual(['750', `0:${gid}`]);
    expect([mode(join(root, 'etc/uniad-edge/config.yaml')), owner(join(root, 'etc/uniad-edge/config.yaml'))]).toEqual(['640', `0:${gid}`]);
    expect([mode(join(root, 'etc/uniad-edge/credentials')), owner(join(root, 'etc/uniad-edge/credentials'))]).toEqual(['700', '0:0']);
    expect([mode(join(root, 'var/lib/uniad-edge')), owner(join(root, 'var/lib/uniad-edge'))]).toEqual(['750', `${uid}:${gid}`]);
    expect(owner(join(root, 'var/lib/uniad-edge/models/demo/uniad-demo.onnx'))).toBe(`0:${gid}`);
    expect(readFileSync(join(root, 'etc/uniad-edge/config.yaml'), 'utf8')).toContain('path: /var/lib/uniad-edge/models/demo/uniad-demo.onnx');

    // The unit runs as that user and group, so it can read its config (not write it) and its models.
    const unit = readFileSync(join(root, 'etc/systemd/system/uniad-edge.service'), 'utf8');
    expect(unit).toMatch(/^User=uniad$/m);
    expect(unit).toMatch(/^Group=uniad$/m);
    const asService = (cmd: string) =>
      run('setpriv', ['--reuid', uid!, '--regid', gid!, `--groups=${ids('video', 'group')[2]},${ids('render', 'group')[2]}`, 'bash', '-c', cmd]);
    await expect(asService(`cat ${root}/etc/uniad-edge/config.yaml > /dev/null && cat ${root}/var/lib/uniad-edge/models/demo/uniad-demo.json > /dev/null`)).resolves.toBeDefined();
    await expect(asService(`test -w ${root}/etc/uniad-edge/config.yaml`)).rejects.toThrow();
    await expect(asService(`touch ${root}/var/lib/uniad-edge/queue-probe`)).resolves.toBeDefined();
  }, 120_000);

  it('should run from the installed release: its production tree loads the model', async () => {
    const config = join(work, 'check.yaml');
    writeFileSync(
      config,
      [
        'cameras:',
        `  - { id: cam1, line: l1, product: washer, source: "file://${join(root, 'var/lib/uniad-edge/models/demo/line/washer.mp4')}" }`,
        'model:',
        `  path: ${join(root, 'var/lib/uniad-edge/models/demo/uniad-demo.onnx')}`,
        '  providers: [cpu]',
        'dashboard: { enabled: false }',
        '',
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, [join(root, 'opt/uniad-edge/current/bin/uniad-edge.js'), 'check', '--config', config], { cwd: work });
    expect(stdout).toMatch(/config and model OK/);
  }, 120_000);

  it('should re-run over an installed tree without errors and keep an edited config', async () => {
    const config = join(root, 'etc/uniad-edge/config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8') + '# edited on site\n');
    await sh(['install', '--root', root, '--bundle', bundle]);
    expect(readFileSync(config, 'utf8')).toContain('# edited on site');
    expect(readlinkSync(join(root, 'opt/uniad-edge/current'))).toBe(`releases/${version}`);
    expect(readdirSync(join(root, 'opt/uniad-edge/releases'))).toEqual([version]);
  }, 120_000);

  it('should upgrade and roll back with one command each, and roll back by itself a release that does not become ready', async () => {
    const opt = join(root, 'opt/uniad-edge');
    const stub = join(work, 'systemctl');
    writeFileSync(stub, stubSystemctl, { mode: 0o755 });
    const log = join(work, 'systemctl.log');
    const env = { SYSTEMCTL: stub, STUB_ROOT: root, STUB_LOG: log, BAD_VERSIONS: '9.9.9' };

    await sh(['upgrade', '--root', root, '--bundle', await rebundle('9.0.0'), '--settle', '1'], env);
    expect(readlinkSync(join(opt, 'current'))).toBe('releases/9.0.0');
    expect(readlinkSync(join(opt, 'previous'))).toBe(`releases/${version}`);
    expect(readFileSync(log, 'utf8')).toMatch(/daemon-reload\nrestart uniad-edge\nis-active --quiet uniad-edge/);

    await sh(['rollback', '--root', root, '--settle', '0'], env);
    expect(readlinkSync(join(opt, 'current'))).toBe(`releases/${version}`);

    const failed = await sh(['upgrade', '--root', root, '--bundle', await rebundle('9.9.9'), '--settle', '1'], env).then(
      () => undefined,
      (err: { code: number; stdout: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toMatch(/release 9\.9\.9 did not become ready within 1 s: rolling back/);
    expect(failed?.stdout).toContain(`rolled back to ${version}`);
    expect(readlinkSync(join(opt, 'current'))).toBe(`releases/${version}`);
    expect(readFileSync(join(root, 'etc/systemd/system/uniad-edge.service'), 'utf8')).toContain('Type=notify');
  }, 180_000);

  it('should put the onnxruntime-node built on a Jetson into the release, and keep it across the next upgrade', async () => {
    const opt = join(root, 'opt/uniad-edge');
    const stub = join(work, 'systemctl');
    const env = { SYSTEMCTL: stub, STUB_ROOT: root, STUB_LOG: join(work, 'systemctl.log'), BAD_VERSIONS: '' };
    // What build-onnxruntime.sh leaves in its build dir: npm pack tarballs in dist-<version>/, and the built binding
    // with its build record in onnxruntime-<version>/js/node/ (what --onnxruntime names, as deploy/jetson/README.md says).
    const build = join(work, 'ort-build');
    const dist = join(build, 'dist-1.20.1');
    const jsNode = join(build, 'onnxruntime-1.20.1/js/node');
    mkdirSync(jsNode, { recursive: true });
    writeFileSync(join(jsNode, 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version: '1.20.1' }));
    writeFileSync(join(jsNode, 'uniad-edge-build.json'), '{"onnxruntime":"1.20.1","jetpack":"6.1"}');
    for (const pkg of ['onnxruntime-common', 'onnxruntime-node']) {
      const dir = join(work, `pack-${pkg}`, 'package');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: pkg, version: '1.20.1' }));
      mkdirSync(dist, { recursive: true });
      await run('tar', ['-C', join(work, `pack-${pkg}`), '-czf', join(dist, `${pkg}-1.20.1.tgz`), 'package']);
    }
    const ortVersion = (release: string, pkg: string) => (JSON.parse(readFileSync(join(opt, 'releases', release, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

    await sh(['upgrade', '--root', root, '--bundle', await rebundle('9.1.0'), '--settle', '0', '--onnxruntime', jsNode], env);
    expect([ortVersion('9.1.0', 'onnxruntime-node'), ortVersion('9.1.0', 'onnxruntime-common')]).toEqual(['1.20.1', '1.20.1']);
    expect(readFileSync(join(opt, 'releases/9.1.0/node_modules/onnxruntime-node/uniad-edge-build.json'), 'utf8')).toContain('"jetpack":"6.1"');
    expect(owner(join(opt, 'releases/9.1.0/node_modules/onnxruntime-node/package.json'))).toBe('0:0');

    const { stdout } = await sh(['upgrade', '--root', root, '--bundle', await rebundle('9.2.0'), '--settle', '0'], env);
    expect(stdout).toContain('kept the Jetson-built onnxruntime-node of the running release');
    expect(ortVersion('9.2.0', 'onnxruntime-node')).toBe('1.20.1');
  }, 180_000);
});
