import { stringify } from 'yaml';
import { preflightObjects, describeFailures, type ApplyAction, type ApplyItem } from '../cluster/apply.js';
import { applyTiers } from '../cluster/applyOrder.js';
import { describeRef, formatClusterError, type KubeObject } from '../cluster/model.js';
import type { ClusterPort } from '../cluster/port.js';
import type { ManifestCache } from '../manifests/loadManifests.js';
import { fillSecretTemplate } from '../manifests/secretTemplate.js';
import { err, ok, type Result } from '../result.js';
import type { Step } from '../runbook/model.js';
import { applyCommandItems } from './applyCommand.js';

/**
 * A step's objects with their Secret templates filled. An error says which object lacks which
 * value, and what to do.
 */
export function fillItemSecrets(
  items: readonly ApplyItem[],
  secret: (name: string) => string | undefined,
): Result<ApplyItem[], string> {
  const filled: ApplyItem[] = [];
  for (const item of items) {
    const body = fillSecretTemplate(item.body, secret);
    if (!body.ok)
      return err(
        `${item.file}: ${describeRef(item.ref)} needs ${body.error.missing.join(', ')}: set them in the environment or with "DR Runbook: Set Secret", then try again.`,
      );
    filled.push({ ...item, body: body.value });
  }
  return ok(filled);
}

export interface PreviewInput {
  readonly root: string;
  /** The namespace of the plan's objects when a command names none. */
  readonly namespace: string;
  readonly secret: (name: string) => string | undefined;
  readonly manifests?: ManifestCache;
  readonly signal?: AbortSignal;
}

/** One object of the step: what applying it would do, and the text of both sides of its diff. */
export interface ObjectPreview {
  readonly item: ApplyItem;
  readonly action: ApplyAction;
  /** The live object as YAML ('' when it does not exist). */
  readonly live: string;
  /** The server's answer to the dry run, as YAML. */
  readonly dryRun: string;
}

export interface StepPreview {
  /** In the order the step applies them. */
  readonly objects: readonly ObjectPreview[];
  readonly counts: Readonly<Record<ApplyAction, number>>;
}

/**
 * What applying an apply step would change, like `kubectl diff --server-side`: each object's
 * live state against the server-side dry run of the step (the engine's own preflight, so the
 * preview and the apply agree). Changes nothing. Secret values are masked on both sides.
 */
export async function previewStep(cluster: ClusterPort, step: Step, input: PreviewInput): Promise<Result<StepPreview, string>> {
  const commands = step.commands.filter((c) => c.kind === 'apply');
  const loaded = await applyCommandItems(input.root, step, commands, input.namespace, input.manifests);
  if (!loaded.ok) return err(loaded.error.join('; '));
  const filled = fillItemSecrets(loaded.value, input.secret);
  if (!filled.ok) return filled;
  const items = filled.value;
  if (items.length === 0) return err(`Step ${step.number} applies no manifest: there is nothing to preview.`);
  // A namespace the step creates, or that does not exist yet, is no reason to refuse: the
  // preflight checks such objects in `default` and counts them as created.
  const namespaces = [...new Set(items.flatMap((i) => (i.ref.namespace ? [i.ref.namespace] : [])))];
  const checked = await preflightObjects(cluster, items, {
    expectedNamespaces: namespaces,
    ...(input.signal ? { signal: input.signal } : {}),
  });
  if (!checked.ok) {
    if (checked.error.stage !== 'preflight') return err('Cancelled.');
    return err(`The server-side dry run refused: ${describeFailures(checked.error.failures).join('; ')}`);
  }
  const objects: ObjectPreview[] = [];
  const counts: Record<ApplyAction, number> = { created: 0, configured: 0, unchanged: 0 };
  for (const { item } of applyTiers(items.map((item) => ({ kind: item.ref.kind, item }))).flat()) {
    const plan = checked.value.plans.get(item);
    if (!plan) continue;
    const live = plan.action === 'created' ? ok(undefined) : await cluster.read(item.ref);
    if (!live.ok) return err(formatClusterError(live.error));
    // An object dry-run in `default` (its namespace does not exist yet) is shown where it will go.
    const dryRun = { ...plan.dryRun, metadata: { ...plan.dryRun.metadata, namespace: item.ref.namespace } };
    const [before, after] = maskSecrets(live.value, dryRun);
    counts[plan.action]++;
    objects.push({ item, action: plan.action, live: before ? toYaml(before) : '', dryRun: toYaml(after) });
  }
  return ok({ objects, counts });
}

/** `3 created, 1 changed, 5 unchanged`. */
export function describeCounts(counts: StepPreview['counts']): string {
  return `${counts.created} created, ${counts.configured} changed, ${counts.unchanged} unchanged`;
}

/**
 * Both sides of the diff as one multi-document YAML text each, every object headed by a comment
 * naming it and what applying does to it: the layout of `kubectl diff`, one editor for the step.
 */
export function previewTexts(preview: StepPreview): { live: string; dryRun: string } {
  const head = (o: ObjectPreview): string =>
    `# ${describeRef(o.item.ref)}: ${o.action === 'configured' ? 'changed' : o.action} (${o.item.file}:${o.item.line})\n`;
  return {
    live: preview.objects.map((o) => `${head(o)}${o.live || '# (does not exist)\n'}`).join('---\n'),
    dryRun: preview.objects.map((o) => `${head(o)}${o.dryRun}`).join('---\n'),
  };
}

/** managedFields are the server's bookkeeping, as kubectl diff leaves them out. */
function toYaml(object: KubeObject): string {
  const { managedFields: _managed, ...metadata } = object.metadata ?? {};
  return stringify({ ...object, metadata }, { lineWidth: 0 });
}

const MASK = '***';

/**
 * A Secret's values never reach the editor: each is `***`, and `*** (before)` / `*** (after)`
 * where the value changes, as kubectl diff masks them. The last-applied annotation, which
 * repeats them, is masked too.
 */
function maskSecrets(live: KubeObject | undefined, dryRun: KubeObject): [KubeObject | undefined, KubeObject] {
  if (dryRun.kind !== 'Secret') return [live, dryRun];
  const values = (o: KubeObject | undefined, field: 'data' | 'stringData'): Record<string, unknown> =>
    (o?.[field] as Record<string, unknown> | undefined) ?? {};
  const mask = (o: KubeObject | undefined, other: KubeObject | undefined, side: string): KubeObject | undefined => {
    if (!o) return o;
    const masked: KubeObject = { ...o };
    for (const field of ['data', 'stringData'] as const) {
      if (!o[field]) continue;
      const theirs = values(other, field);
      masked[field] = Object.fromEntries(
        Object.entries(values(o, field)).map(([k, v]) => [k, other && theirs[k] !== v ? `${MASK} (${side})` : MASK]),
      );
    }
    const annotations = o.metadata?.annotations;
    if (annotations?.['kubectl.kubernetes.io/last-applied-configuration'])
      masked.metadata = {
        ...o.metadata,
        annotations: { ...annotations, 'kubectl.kubernetes.io/last-applied-configuration': MASK },
      };
    return masked;
  };
  return [mask(live, dryRun, 'before'), mask(dryRun, live, 'after') ?? dryRun];
}
