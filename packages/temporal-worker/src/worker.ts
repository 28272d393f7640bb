// Builds the Temporal worker that runs closedloop workflows and activities.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import {
  type BundleOptions,
  bundleWorkflowCode,
  type NativeConnection,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { type ActivityDeps, createActivities } from './activities.ts';
import { failureConverterPath } from './codec.ts';
import { createReportActivities, type ReportDeps } from './reports.ts';

const sourceMode = import.meta.url.endsWith('.ts');

/** The workflow entry file (source in development, built JS in the package). */
export const workflowsPath = fileURLToPath(
  new URL(`./workflows/index.${sourceMode ? 'ts' : 'js'}`, import.meta.url),
);

/** Bundler options that resolve workspace packages from source (export condition `@closedloop/source`). */
export const bundlerOptions: WorkerOptions['bundlerOptions'] = {
  webpackConfigHook: (config) => {
    config.resolve ??= {};
    config.resolve.conditionNames = ['@closedloop/source', 'import', 'module', 'require', 'default'];
    config.resolve.extensionAlias = { '.js': ['.ts', '.js'] };
    return config;
  },
};

/** Bundles the workflow code once (reuse it across workers and for replay). */
export function bundleLoopWorkflows(options: Partial<BundleOptions> = {}) {
  // Failures the workflow itself raises are encoded too (see failure-converter.ts).
  return bundleWorkflowCode({ workflowsPath, failureConverterPath, ...bundlerOptions, ...options });
}

export interface ClosedLoopWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  dataConverter?: DataConverter;
  /** A prebuilt bundle from {@link bundleLoopWorkflows} (faster start for many workers). */
  workflowBundle?: { code: string };
  /** Extra Worker options (concurrency, identity, build id, …). */
  worker?: Partial<WorkerOptions>;
  /** Hosts the scheduled reports' activity too (see `applyReportSchedules`). */
  reports?: ReportDeps;
}

/**
 * A Temporal worker hosting the closed-loop workflow and its activities.
 *
 * @example
 * const connection = await NativeConnection.connect({ address: 'localhost:7233' });
 * const worker = await createClosedLoopWorker({ connection, taskQueue: 'closedloop', directory, segments, connectors });
 * await worker.run();
 */
export async function createClosedLoopWorker(options: ClosedLoopWorkerOptions): Promise<Worker> {
  const { connection, namespace, taskQueue, dataConverter, workflowBundle, worker, reports, ...deps } =
    options;
  return Worker.create({
    connection,
    namespace: namespace ?? 'default',
    taskQueue,
    dataConverter,
    activities: { ...createActivities(deps), ...(reports ? createReportActivities(reports) : {}) },
    ...(workflowBundle ? { workflowBundle } : { workflowsPath, bundlerOptions }),
    ...worker,
  });
}
