/**
 * deploy/jetson/install.sh against a temporary root: a real bundle of this checkout, real users and modes in the
 * root's /etc/passwd, the installed release run with node. systemd cannot run here: install, upgrade and rollback
 * talk to a stand-in `systemctl` (written below) that logs what it is asked and reports a release as failed when its
 * version is in $BAD_VERSIONS.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
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
/** The first release installed: `releases/<version>+<build>`. */
let first: string;

/** A release link or folder name of `v`: the version, then the build id (12 hex digits of the files' hash). */
const releaseOf = (v: string) => new RegExp(`^(releases/)?${v.replaceAll('.', '\\.')}\\+[0-9a-f]{12}$`);

/** Runs install.sh; a failure keeps its exit code and output, and says them in its message. */
async function sh(args: string[], env: Record<string, string> = {}) {
  return run('bash', [script, ...args], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 }).catch((err: Error & { stdout: string; stderr: string }) => {
    err.message += `\n${err.stdout}${err.stderr}`;
    throw err;
  });
}

/**
 * A second release made the way a new version arrives: the same tree with another version in it; with `rebuilt`, a
 * file of the compiled tree changed too, as a rebuild of the same version changes it.
 */
async function rebundle(newVersion: string, rebuilt = ''): Promise<string> {
  const dir = mkdtempSync(join(work, 'rebundle-'));
  await run('tar', ['-C', dir, '-xzf', bundle]);
  const top = join(dir, readdirSync(dir)[0]!);
  const pkg = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(join(top, 'package.json'), JSON.stringify({ ...pkg, version: newVersion }));
  writeFileSync(join(top, 'BUNDLE'), readFileSync(join(top, 'BUNDLE'), 'utf8').replace(/^version=.*$/m, `version=${newVersion}`));
  if (rebuilt) writeFileSync(join(top, 'dist/rebuilt.txt'), rebuilt);
  // Uncompressed: install.sh lets tar detect the compression, and gzip would only slow the test.
  const file = join(work, `uniad-edge-${newVersion}${rebuilt}.tar`);
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
const opt = () => join(root, 'opt/uniad-edge');
const current = () => readlinkSync(join(opt(), 'current'));
const previous = () => readlinkSync(join(opt(), 'previous'));
const stub = () => {
  const file = join(work, 'systemctl');
  writeFileSync(file, stubSystemctl, { mode: 0o755 });
  return file;
};
/** The stand-in systemctl, logging to a fresh file; `systemctlLog()` reads it. */
const withSystemctl = (badVersions = '') => {
  writeFileSync(join(work, 'systemctl.log'), '');
  return { SYSTEMCTL: stub(), STUB_ROOT: root, STUB_LOG: join(work, 'systemctl.log'), BAD_VERSIONS: badVersions };
};
const systemctlLog = () => readFileSync(join(work, 'systemctl.log'), 'utf8');

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
    const { stdout } = await sh(['install', '--root', root, '--bundle', bundle], withSystemctl());
    first = current();
    expect(first).toMatch(releaseOf(version));
    // the bundle's name carries the same build id: the hash of the same files
    expect(basename(bundle)).toBe(`uniad-edge-${first.slice('releases/'.length)}-linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}.tar.gz`);
    // installed, not started: the example config is nobody's checked config; the next steps, in order
    expect(systemctlLog()).toMatch(/^daemon-reload\n/);
    expect(systemctlLog()).not.toMatch(/^(enable|start|restart)\b/m);
    expect(stdout).toMatch(/installed, not started\. Next:\n.*1\. edit \/etc\/uniad-edge\/config\.yaml.*\n.*2\. check it as the service user: .*check --config \/etc\/uniad-edge\/config\.yaml\n.*3\. start it: sudo systemctl enable --now uniad-edge/);
    const opt = join(root, 'opt/uniad-edge');
    const modules = join(opt, 'current/node_modules');
    for (const dep of ['mqtt', 'aedes', 'onnxruntime-node', 'prom-client', 'unix-dgram', 'gstreamer-superficial']) expect(existsSync(join(modules, dep)), dep).toBe(true);
    for (const dev of ['@tensorflow', 'nsfwjs', 'playwright-core', 'vitest', 'typescript', 'tsx']) expect(existsSync(join(modules, dev)), dev).toBe(false);
    expect(readdirSync(join(modules, 'onnxruntime-node/bin/napi-v6'))).toEqual(['linux']);
    // not compiled: the GenICam capture child is Python, run from where src/sources/genicam.ts looks for it
    expect(existsSync(join(opt, 'current/src/sources/genicam_child.py'))).toBe(true);

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
    expect(readFileSync(join(root, 'etc/systemd/system/uniad-edge-actuator.service'), 'utf8')).toMatch(/^User=uniad$/m);
    expect(unit).toMatch(/^Group=uniad$/m);
    const asService = (cmd: string) =>
      run('setpriv', ['--reuid', uid!, '--regid', gid!, `--groups=${ids('video', 'group')[2]},${ids('render', 'group')[2]}`, 'sh', '-c', cmd]);
    // Each answer names the user it ran as, so a setpriv that failed for any reason cannot pass for a refusal.
    await expect(
      asService(`id -u; id -g; cat ${root}/etc/uniad-edge/config.yaml > /dev/null && cat ${root}/var/lib/uniad-edge/models/demo/uniad-demo.json > /dev/null && echo readable`),
    ).resolves.toEqual({ stdout: `${uid}\n${gid}\nreadable\n`, stderr: '' });
    await expect(asService(`id -u; test -w ${root}/etc/uniad-edge/config.yaml; echo "writable: $?"`)).resolves.toEqual({ stdout: `${uid}\nwritable: 1\n`, stderr: '' });
    const probe = join(root, 'var/lib/uniad-edge/queue-probe');
    await expect(asService(`id -u; touch ${probe} && echo written`)).resolves.toEqual({ stdout: `${uid}\nwritten\n`, stderr: '' });
    expect(owner(probe)).toBe(`${uid}:${gid}`);
  }, 300_000);

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

  it('should check the example config as copied into an /etc of its own: its relative model path names the shipped model', async () => {
    const etc = join(work, 'etc-copy/uniad-edge');
    mkdirSync(etc, { recursive: true });
    copyFileSync(join(root, 'opt/uniad-edge/current/config.example.yaml'), join(etc, 'config.yaml'));
    const { stdout } = await run(process.execPath, [join(root, 'opt/uniad-edge/current/bin/uniad-edge.js'), 'check', '--config', join(etc, 'config.yaml')], {
      cwd: work,
      env: { ...process.env, STATE_DIRECTORY: join(work, 'etc-copy/state') },
    });
    expect(stdout).toBe('config and model OK: 5 camera(s), model uniad-demo@0.2.0 on cpu\n');
  }, 120_000);

  it('should refuse to run an installed release whose onnxruntime-common is not its onnxruntime-node (ONNXRUNTIME_VERSION)', async () => {
    // What an `npm install` into a release leaves: the two packages of different releases.
    const copy = join(work, 'mixed-release');
    cpSync(join(root, 'opt/uniad-edge', first), copy, { recursive: true });
    const common = join(copy, 'node_modules/onnxruntime-common/package.json');
    writeFileSync(common, JSON.stringify({ ...(JSON.parse(readFileSync(common, 'utf8')) as object), version: '1.21.0' }));
    const open = join(work, 'open-mixed.mjs');
    writeFileSync(
      open,
      `import { InferenceEngine } from ${JSON.stringify(join(copy, 'dist/src/pipeline/engine.js'))};
      InferenceEngine.open({ modelPath: ${JSON.stringify(join(copy, 'models/demo/uniad-demo.onnx'))}, providers: ['cpu'] })
        .then(() => console.log('{}'), (err) => console.log(JSON.stringify({ code: err.code, message: err.message })));`,
    );
    const { stdout } = await run(process.execPath, [open], { cwd: work });
    expect(JSON.parse(stdout)).toMatchObject({ code: 'ONNXRUNTIME_VERSION', message: expect.stringMatching(/^onnxruntime: onnxruntime-node \S+ runs with onnxruntime-common 1\.21\.0: the JavaScript API must be the same release \(npm ci\)/) });
  }, 120_000);

  it('should start only a config that passes check, with --start, as the service user', async () => {
    const config = join(root, 'etc/uniad-edge/config.yaml');
    const installed = readFileSync(config, 'utf8');
    writeFileSync(config, installed.replace(/^( {2}path: ).*$/m, `$1${join(root, 'var/lib/uniad-edge/models/demo/nope.onnx')}`));
    const refused = await sh(['install', '--root', root, '--bundle', bundle, '--start'], withSystemctl()).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toContain(`uniad-edge: model: cannot read "${join(root, 'var/lib/uniad-edge/models/demo/nope.onnx')}": no such file`);
    expect(refused?.stderr).toContain(`install.sh: not started: the config check refused ${config} (above)`);
    expect(systemctlLog()).toBe('daemon-reload\n');
    expect(systemctlLog()).not.toMatch(/^(enable|start|restart)\b/m);

    writeFileSync(config, installed.replace(/^( {2}path: )\/var\/lib/m, `$1${join(root, 'var/lib')}`));
    // --settle 1: the unit is watched for a second, not the 30 s a box waits (the stub's service is always active)
    const { stdout } = await sh(['install', '--root', root, '--bundle', bundle, '--start', '--settle', '1'], withSystemctl());
    expect(stdout).toContain('config and model OK: 5 camera(s), model uniad-demo@0.2.0 on cpu');
    expect(stdout).toContain('install.sh: uniad-edge checked, enabled and started');
    expect(systemctlLog()).toMatch(/^daemon-reload\nenable uniad-edge\nrestart uniad-edge\nis-active --quiet uniad-edge\n/);
    writeFileSync(config, installed);
  }, 480_000);

  it('should re-run over an installed tree without errors and keep an edited config', async () => {
    const config = join(root, 'etc/uniad-edge/config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8') + '# edited on site\n');
    await sh(['install', '--root', root, '--bundle', bundle]);
    expect(readFileSync(config, 'utf8')).toContain('# edited on site');
    // the same bundle is the same release: installed again in place, not a second copy
    expect(current()).toBe(first);
    expect(readdirSync(join(root, 'opt/uniad-edge/releases'))).toEqual([first.slice('releases/'.length)]);
  }, 300_000);

  it('should upgrade and roll back with one command each, and roll back by itself a release that does not become ready', async () => {
    const env = withSystemctl('9.9.9');

    await sh(['upgrade', '--root', root, '--bundle', await rebundle('9.0.0'), '--settle', '1'], env);
    expect(current()).toMatch(releaseOf('9.0.0'));
    expect(previous()).toBe(first);
    expect(systemctlLog()).toMatch(/daemon-reload\nrestart uniad-edge\nis-active --quiet uniad-edge/);

    await sh(['rollback', '--root', root, '--settle', '0'], env);
    expect(current()).toBe(first);

    const failed = await sh(['upgrade', '--root', root, '--bundle', await rebundle('9.9.9'), '--settle', '1'], env).then(
      () => undefined,
      (err: { code: number; stdout: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toMatch(/release 9\.9\.9\+[0-9a-f]{12} did not become ready within 1 s: rolling back/);
    expect(failed?.stdout).toContain(`rolled back to ${first.slice('releases/'.length)}`);
    expect(current()).toBe(first);
    expect(readFileSync(join(root, 'etc/systemd/system/uniad-edge.service'), 'utf8')).toContain('Type=notify');
  }, 480_000);

  it('should keep a rebuilt bundle of the same version as a release of its own, and roll back to the build it replaced', async () => {
    const env = withSystemctl();
    await sh(['upgrade', '--root', root, '--bundle', await rebundle(version, 'rebuilt once'), '--settle', '0'], env);
    const rebuilt = current();
    expect(rebuilt).toMatch(releaseOf(version));
    expect(rebuilt).not.toBe(first);
    expect(previous()).toBe(first);
    expect(readFileSync(join(opt(), rebuilt, 'dist/rebuilt.txt'), 'utf8')).toBe('rebuilt once');
    expect(existsSync(join(opt(), first, 'dist/rebuilt.txt'))).toBe(false);

    await sh(['rollback', '--root', root, '--settle', '0'], env);
    expect(current()).toBe(first);
    expect(previous()).toBe(rebuilt);
    expect(systemctlLog()).toMatch(/restart uniad-edge\n(.*\n)*restart uniad-edge\n/);

    // --keep 2: current and previous stay, every other release goes
    const { stdout } = await sh(['upgrade', '--root', root, '--bundle', await rebundle(version, 'rebuilt twice'), '--settle', '0', '--keep', '2'], env);
    expect(stdout).toContain(`release ${current().slice('releases/'.length)} is current`);
    expect(readdirSync(join(opt(), 'releases')).map((r) => `releases/${r}`).sort()).toEqual([current(), first].sort());
    await sh(['rollback', '--root', root, '--settle', '0'], env);
  }, 480_000);

  it('should put the onnxruntime-node built on a Jetson into the release, and keep it across the next upgrade', async () => {
    const env = withSystemctl();
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
    const ortVersion = (release: string, pkg: string) => (JSON.parse(readFileSync(join(opt(), release, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

    await sh(['upgrade', '--root', root, '--bundle', await rebundle('9.1.0'), '--settle', '0', '--onnxruntime', jsNode], env);
    const r910 = current();
    expect(r910).toMatch(releaseOf('9.1.0'));
    expect([ortVersion(r910, 'onnxruntime-node'), ortVersion(r910, 'onnxruntime-common')]).toEqual(['1.20.1', '1.20.1']);
    expect(readFileSync(join(opt(), r910, 'node_modules/onnxruntime-node/uniad-edge-build.json'), 'utf8')).toContain('"jetpack":"6.1"');
    expect(owner(join(opt(), r910, 'node_modules/onnxruntime-node/package.json'))).toBe('0:0');

    const { stdout } = await sh(['upgrade', '--root', root, '--bundle', await rebundle('9.2.0'), '--settle', '0'], env);
    expect(stdout).toContain('kept the Jetson-built onnxruntime-node of the running release');
    expect(ortVersion(current(), 'onnxruntime-node')).toBe('1.20.1');
  }, 300_000);
});
