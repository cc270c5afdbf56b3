import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The reason for installAsyncResourceBind, measured in a process of its own (jest's sandbox keeps
 * closures of its own alive): 10,000 short-lived bound closures holding ~1 kB each, young-generation
 * collections after every 500, and how much of them ended in the old space. Uses the build (dist/), like
 * the other int specs.
 */
const root = join(__dirname, '..', '..', '..');
const probe = (install: boolean) => `
  const v8 = require('node:v8'); const vm = require('node:vm');
  v8.setFlagsFromString('--expose-gc'); const gc = vm.runInNewContext('gc');
  const { AsyncResource } = require('node:async_hooks');
  ${install ? "require('@authz/platform').installAsyncResourceBind();" : ''}
  const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;
  gc({ type: 'major' });
  const before = oldSpace();
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 500; i++) { const payload = new Array(128).fill(i); new AsyncResource('t').bind(() => payload.length)(); }
    gc({ type: 'minor' });
  }
  gc({ type: 'minor' });
  process.stdout.write(String(oldSpace() - before));`;

function promoted(install: boolean): number {
  return Number(execFileSync(process.execPath, ['-r', join(root, 'tools', 'aliases.cjs'), '-e', probe(install)], { cwd: root, encoding: 'utf8' }));
}

it("Node's AsyncResource#bind sends short-lived bound closures to the old space; ours lets them die young", () => {
  expect(promoted(false)).toBeGreaterThan(3_000_000);
  expect(promoted(true)).toBeLessThan(300_000);
}, 60_000);
