import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Commands, NotebookTypes, Settings, Views } from '../../../src/extension/ids.js';

interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: { command: string; category?: string }[];
    viewsContainers: { activitybar: { id: string }[] };
    views: Record<string, { id: string }[]>;
    menus: Record<string, { command: string }[]>;
    configuration: { properties: Record<string, unknown> }[];
    notebooks: { type: string; selector: { filenamePattern: string }[] }[];
  };
}

const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as Manifest;

describe('ids.ts and package.json', () => {
  it('declare the same commands, both ways, all in the DR Runbook category', () => {
    assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), Object.values(Commands).sort());
    for (const c of manifest.contributes.commands) assert.equal(c.category, 'DR Runbook', c.command);
  });

  it('declare the same views and view container, both ways', () => {
    assert.deepEqual(
      manifest.contributes.viewsContainers.activitybar.map((c) => c.id),
      [Views.container],
    );
    const views = Object.values(manifest.contributes.views)
      .flat()
      .map((v) => v.id);
    assert.deepEqual(
      views.sort(),
      Object.values(Views)
        .filter((v) => v !== Views.container)
        .sort(),
    );
  });

  it('menus name only declared commands', () => {
    const declared = new Set<string>(Object.values(Commands));
    for (const [menu, entries] of Object.entries(manifest.contributes.menus)) {
      for (const entry of entries) assert.ok(declared.has(entry.command), `${menu}: ${entry.command}`);
    }
  });

  it('declare the same settings, both ways', () => {
    const declared = manifest.contributes.configuration.flatMap((c) => Object.keys(c.properties)).sort();
    assert.deepEqual(
      declared,
      Object.values(Settings)
        .filter((s) => s !== Settings.section)
        .sort(),
    );
  });

  it('declare the same notebook types, both ways, each for *.runbook.md files only', () => {
    assert.deepEqual(manifest.contributes.notebooks.map((n) => n.type).sort(), Object.values(NotebookTypes).sort());
    for (const n of manifest.contributes.notebooks) assert.deepEqual(n.selector, [{ filenamePattern: '*.runbook.md' }], n.type);
  });

  it('use the drRunbook prefix for every id', () => {
    for (const id of [
      ...Object.values(Commands),
      ...Object.values(Views),
      ...Object.values(Settings),
      ...Object.values(NotebookTypes),
    ]) {
      assert.match(id, /^drRunbook(\.|$)/);
    }
  });
});
