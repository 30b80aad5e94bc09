import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activeExtension } from './support.js';

describe('an untrusted workspace (probe)', () => {
  it('is untrusted and the extension activates', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    await activeExtension();
  });
});
