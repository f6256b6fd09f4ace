// The image's build stage replayed without a Docker engine: the Dockerfile is
// parsed, exactly what its COPY steps take from the context (minus
// .dockerignore) is copied into a temp dir, and its RUN steps run there
// (npm ci prefers the local npm cache). A source file the Dockerfile does not
// copy (say, a helper under test/) breaks this test as it would break `docker build`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './helpers/exporter.js';

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  image: string;
  name?: string;
  steps: Instruction[];
}

/** Dockerfile → stages of instructions (line continuations joined, comments dropped). */
export function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ image: f[1]!, name: f[2], steps: [] });
    } else stages.at(-1)!.steps.push({ keyword, args });
  }
  return stages;
}

/** .dockerignore → a predicate on context-relative paths (Docker's rules: last match wins, `!` re-includes, a matched directory takes its contents). */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\.?\//, '').replace(/\/$/, '');
      const source = pattern
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) => (part === '**/' || part === '**' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('');
      return { negate, re: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (path) => {
    let ignored = false;
    for (const r of rules) if (r.re.test(path)) ignored = !r.negate;
    return ignored;
  };
}

function copyInto(context: string, src: string, dest: string, ignored: (p: string) => boolean): void {
  const from = join(context, src);
  assert.ok(existsSync(from), `COPY ${src}: not in the build context`);
  const walk = (abs: string, to: string) => {
    const rel = relative(context, abs);
    if (ignored(rel)) return;
    if (statSync(abs).isDirectory()) {
      mkdirSync(to, { recursive: true });
      for (const e of readdirSync(abs)) walk(join(abs, e), join(to, e));
    } else {
      mkdirSync(dirname(to), { recursive: true });
      cpSync(abs, to);
    }
  };
  assert.ok(!ignored(src), `COPY ${src}: excluded by .dockerignore`);
  walk(from, dest);
}

const dockerfileText = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfileText);
const ignored = dockerignore(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const REVISION = 'c0ffee0000000000000000000000000000000000';

/** Where the build stage's filesystem lives: its absolute paths under this root. */
const root = mkdtempSync(join(tmpdir(), 'fleet-docker-build-'));
const inRoot = (p: string) => join(root, resolve('/', p));
let workdir = '/';
let lastRun: { cmd: string; env: NodeJS.ProcessEnv } | undefined;

function run(cmd: string, env: NodeJS.ProcessEnv) {
  return spawnSync('sh', ['-c', cmd], { cwd: inRoot(workdir), env, encoding: 'utf8', timeout: 600_000 });
}

describe('the Dockerfile build stage, replayed without Docker', { timeout: 900_000 }, () => {
  const build = stages.find((s) => s.name === 'build');

  before(() => {
    assert.ok(build, 'a stage named build');
    // npm ci from the local cache where it can: the test must not depend on the network.
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    for (const { keyword, args } of build.steps) {
      if (keyword === 'ARG') {
        const [name, value] = args.split('=');
        env[name!] = name === 'REVISION' ? REVISION : value; // as `docker build --build-arg REVISION=…`
      } else if (keyword === 'ENV') {
        const [name, value] = args.split('=');
        env[name!] = value;
      } else if (keyword === 'WORKDIR') {
        workdir = resolve(workdir, args);
        mkdirSync(inRoot(workdir), { recursive: true });
      } else if (keyword === 'COPY') {
        assert.doesNotMatch(args, /--from/, 'the build stage copies from the context only');
        const parts = args.split(/\s+/);
        const dest = resolve(workdir, parts.pop()!);
        for (const src of parts) copyInto(REPO_ROOT, src, parts.length > 1 || args.endsWith('/') ? join(inRoot(dest), basename(src)) : inRoot(dest), ignored);
      } else if (keyword === 'RUN') {
        assert.doesNotMatch(args, /^\[/, 'shell-form RUN');
        const r = run(args, env);
        assert.equal(r.status, 0, `RUN ${args} failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
        lastRun = { cmd: args, env };
      } else assert.fail(`the replay does not know ${keyword}: teach it, or keep the build stage simple`);
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('builds, and the result runs', () => {
    const main = inRoot(join(workdir, 'dist/src/main.js'));
    const r = spawnSync(process.execPath, [main, '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `fleet-exporter ${pkg.version} (node ${process.version})`);
  });

  test('the REVISION build arg is baked into the build for fleet_exporter_build_info', () => {
    const info = JSON.parse(readFileSync(inRoot(join(workdir, 'dist/src/build-info.json')), 'utf8')) as { revision: string };
    assert.equal(info.revision, REVISION);
  });

  test('everything the runtime stage copies exists: from the build stage, or from the context', () => {
    const runtime = stages.at(-1)!;
    for (const { keyword, args } of runtime.steps.filter((s) => s.keyword === 'COPY')) {
      const parts = args.split(/\s+/);
      const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
      for (const src of parts.slice(0, -1)) {
        if (from === 'build') assert.ok(existsSync(inRoot(resolve(workdir, src))), `${keyword} --from=build ${src}`);
        else {
          assert.equal(from, undefined, `unexpected --from=${from}`);
          assert.ok(existsSync(join(REPO_ROOT, src)) && !ignored(src), `${keyword} ${src}: missing from the context`);
        }
      }
    }
  });

  test('the replay catches a source file the image does not get: an import from test/ fails the build', () => {
    assert.ok(lastRun, 'the build stage ran');
    appendFileSync(inRoot(join(workdir, 'src/version.ts')), "\nexport { waitFor } from '../test/helpers/net.js';\n");
    const r = run(lastRun.cmd, lastRun.env);
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /TS2307: Cannot find module '\.\.\/test\/helpers\/net\.js'/);
  });
});

test('nothing under src/ or scripts/ imports from test/', () => {
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.name.endsWith('.ts')) {
        for (const m of readFileSync(abs, 'utf8').matchAll(/\bfrom\s+['"](\.[^'"]+)['"]|\bimport\s*\(\s*['"](\.[^'"]+)['"]/g)) {
          const target = relative(REPO_ROOT, resolve(dirname(abs), m[1] ?? m[2]!));
          if (target.startsWith('test/') || target === 'test') offenders.push(`${relative(REPO_ROOT, abs)} → ${m[1] ?? m[2]}`);
        }
      }
    }
  };
  for (const d of ['src', 'scripts']) walk(join(REPO_ROOT, d));
  assert.deepEqual(offenders, []);
});

test('the image runs a pinned, supported Node LTS in every stage, with OCI labels', () => {
  const images = new Set(stages.map((s) => s.image));
  assert.equal(images.size, 1, `one base image for every stage: ${[...images].join(', ')}`);
  assert.match([...images][0]!, /^node:(22|24)\.\d+\.\d+-[a-z]+-slim$/, 'Node 22 or 24 LTS, pinned by full version');
  const runtime = stages.at(-1)!;
  const labels = runtime.steps
    .filter((s) => s.keyword === 'LABEL')
    .map((s) => s.args)
    .join(' ');
  for (const key of ['title', 'description', 'licenses', 'version', 'revision', 'base.name'])
    assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key.replace('.', '\\.')}=`), key);
  assert.ok(
    runtime.steps.some((s) => s.keyword === 'ARG' && s.args === `VERSION=${pkg.version}`),
    `ARG VERSION=${pkg.version} (package.json's version)`,
  );
  assert.ok(
    runtime.steps.some((s) => s.keyword === 'USER' && s.args !== 'root'),
    'runs as a non-root user',
  );
});
