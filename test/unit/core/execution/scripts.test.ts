import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecaRunner } from '../../../../src/adapters/process/execaRunner.js';
import { preflightScenario, runScenario, type RunUi } from '../../../../src/core/execution/scenarioRunner.js';
import type { StepContext } from '../../../../src/core/execution/stepExecutor.js';
import { err } from '../../../../src/core/result.js';
import { parsePlan } from '../../../../src/core/runbook/parsePlan.js';

describe('scripts: only a regular file inside the project is the plan’s own', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'dr-scripts-'));
    mkdirSync(join(root, 'scripts'));
    writeFileSync(join(root, 'scripts/ok.sh'), '#!/bin/sh\necho ran ok.sh\n');
    chmodSync(join(root, 'scripts/ok.sh'), 0o755);
    symlinkSync('/bin/echo', join(root, 'scripts/link.sh'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  function run(markdown: string, confirmOther: (text: string) => boolean) {
    const asked: string[] = [];
    const output: string[] = [];
    const ui: RunUi = {
      beforeStep: () => Promise.resolve('rest'),
      acceptWarnings: () => Promise.resolve(true),
      confirmDestructive: () => Promise.resolve(true),
      fillPlaceholder: () => Promise.resolve(undefined),
      confirmOther: (text) => {
        asked.push(text);
        return Promise.resolve(confirmOther(text));
      },
      confirmRollback: () => Promise.resolve(true),
      manualStep: () => Promise.resolve('done'),
      followLogs: () => Promise.resolve(err({ kind: 'invalid', context: 'none', message: 'no logs here', hint: '' })),
    };
    const ctx: StepContext & { ui: RunUi } = {
      root,
      namespace: 'default',
      cluster: () => Promise.resolve(err({ kind: 'invalid', context: 'none', message: 'no cluster in this test', hint: '' })),
      processes: new ExecaRunner(),
      ui,
      signal: new AbortController().signal,
      output: (text) => void output.push(text),
      secrets: new Map(),
      production: false,
      readinessTimeoutMs: 1_000,
    };
    const plan = parsePlan(markdown);
    return { plan, ctx, asked, output };
  }

  it('asks before `./../../bin/sh` and a link out of the project every time, even after "Run the Rest Without Asking"', async () => {
    const { plan, ctx, asked, output } = run(
      [
        '## Outage',
        '1. Ours',
        '   ```',
        '   ./scripts/ok.sh',
        '   ```',
        '2. Escape',
        '   ```',
        "   ./../../../../../../bin/sh -c 'echo escaped'",
        '   ```',
        '3. Link',
        '   ```',
        '   ./scripts/link.sh linked',
        '   ```',
      ].join('\n'),
      () => false,
    );
    const states: string[] = [];
    const result = await runScenario(plan.scenarios[0]!, ctx, {
      onStep: (s, state) => Promise.resolve(states.push(`${s.number} ${state}`) > 0),
      targets: () => [],
    });
    assert.equal(result.outcome, 'finished');
    assert.deepEqual(asked, ["./../../../../../../bin/sh -c 'echo escaped'", './scripts/link.sh linked']);
    assert.deepEqual(states, ['1 running', '1 succeeded', '2 running', '2 skipped', '3 running', '3 skipped']);
    const text = output.join('');
    assert.match(text, /ran ok\.sh/);
    assert.doesNotMatch(text, /^(escaped|linked)$/m);
    assert.match(text, /is outside the project/);
  });

  it('flags a script outside the project in the Problems scan, and refuses a scenario whose plan structure is broken', async () => {
    const { plan, ctx } = run(
      ['## Outage', '1. Ours', '   ```', '   ./scripts/ok.sh', '2. Link', '   ```', '   ./scripts/link.sh', '   ```'].join('\n'),
      () => true,
    );
    const report = await preflightScenario(plan, plan.scenarios[0]!, 'DR-PLAN.md', ctx);
    assert.equal(report.ok, false);
    assert.match(report.lines.join('\n'), /✖ DR-PLAN\.md:3:4 This code block is never closed/);
    assert.match(
      report.lines.join('\n'),
      /⚠ DR-PLAN\.md:7:4 Step 2 of "Outage": \.\/scripts\/link\.sh is outside the project .* asks before it each time/,
    );
    assert.equal(report.warnings.length, 1);
  });
});
