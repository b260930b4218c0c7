// `virtzone completion bash|zsh|fish`: each script is valid for its shell, names every
// command, and (fish, bash) completes commands, choices and VM names as the user types.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildProgram } from '../../cli/main.js';
import { virtzone } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'vz-completion-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const COMMANDS = buildProgram().commands.map((c) => c.name());
const has = (shell: string) => spawnSync(shell, ['-c', 'true']).status === 0;

/** A stand-in `virtzone` on PATH answering `vms --json` as the daemon's CLI does. */
function fakeCli(): string {
  const bin = join(work, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  const vms = JSON.stringify([{ name: 'web-01', zone: 'gold' }, { name: 'db-02', zone: 'silver' }], null, 2);
  writeFileSync(join(bin, 'virtzone'), `#!/bin/sh\n[ "$1" = vms ] && cat <<'JSON'\n${vms}\nJSON\n`);
  chmodSync(join(bin, 'virtzone'), 0o755);
  return bin;
}

async function script(shell: string): Promise<string> {
  const r = await virtzone(['completion', shell]);
  t.equal(r.code, 0, `completion ${shell}: ${r.stderr}`);
  const file = join(work, `completion.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

for (const shell of ['bash', 'zsh', 'fish']) {
  t.test(`${shell}: valid, and names every command`, { skip: !has(shell) && `${shell} is not installed` }, async (t) => {
    const file = await script(shell);
    const check = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
    t.equal(check.status, 0, `${shell} -n accepts it: ${check.stderr}`);
    t.equal(check.stderr, '');
    const text = (await virtzone(['completion', shell])).stdout;
    for (const c of COMMANDS) t.match(text, new RegExp(`'${c}'`), `names ${c}`);
  });
}

t.test('zsh: the function is registered for virtzone', { skip: !has('zsh') && 'zsh is not installed' }, async (t) => {
  const file = await script('zsh');
  const r = spawnSync('zsh', ['-fc', `autoload -U compinit; compinit -u -D -d ${join(work, 'zcompdump')}; source ${file}; print -r -- $_comps[virtzone]; whence -w _virtzone_names`], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.same(r.stdout.trim().split('\n'), ['_virtzone', '_virtzone_names: function']);
});

t.test('fish: completes commands, choices, files and VM names', { skip: !has('fish') && 'fish is not installed' }, async (t) => {
  const file = await script('fish');
  const bin = fakeCli();
  const complete = (line: string) => {
    const r = spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C ${JSON.stringify(line)}`], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    t.equal(r.stderr, '', `${line}: no errors`);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t')[0]);
  };
  t.same(complete('virtzone pl'), ['place', 'plan']);
  t.same(complete('virtzone au'), ['audit']);
  t.same(complete('virtzone completion ').sort(), ['bash', 'fish', 'zsh']);
  t.same(complete('virtzone vms --sort ').sort(), ['cpu', 'memory', 'name', 'zone']);
  t.same(complete('virtzone audit --result ').sort(), ['failed', 'ok', 'rolled_back', 'skipped']);
  t.ok(complete('virtzone audit --').includes('--since'), 'audit options');
  t.same(complete('virtzone vm ').sort(), ['db-02', 'web-01'], "vm: the daemon's VM names");
  t.same(complete('virtzone audit --vm ').sort(), ['db-02', 'web-01'], 'audit --vm too');
  writeFileSync(join(work, 'backup-target.db'), '');
  t.ok(complete(`virtzone backup ${work}/backup-t`).includes(`${work}/backup-target.db`), 'backup FILE: file names');
  t.same(complete('virtzone status '), [], 'nothing where nothing fits (no file names)');
});

t.test('bash: vm and audit --vm complete VM names', { skip: !has('bash') && 'bash is not installed' }, async (t) => {
  const file = await script('bash');
  const bin = fakeCli();
  const complete = (...words: string[]) => {
    const line = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _virtzone; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return spawnSync('bash', ['-c', line], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } }).stdout.trim().split('\n').filter(Boolean);
  };
  t.same(complete('virtzone', 'vm', ''), ['web-01', 'db-02']);
  t.same(complete('virtzone', 'audit', '--vm', 'w'), ['web-01']);
  t.same(complete('virtzone', 'completion', ''), ['bash', 'zsh', 'fish']);
});

t.test('an unknown shell is exit 2', async (t) => {
  const r = await virtzone(['completion', 'tcsh']);
  t.equal(r.code, 2);
  t.match(r.stderr, /"tcsh" is not a supported shell: expected bash, zsh, fish/);
});
