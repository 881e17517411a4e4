import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import { JOBS_CHART_DIRECTORY } from '../../src/install/chart-files.ts';

// The examples users apply or install as they are; the tests read the same files.

export const EXAMPLES_DIRECTORY = join(PROJECT_ROOT, 'deploy', 'examples');

/** The Flink Kubernetes Toolbox's demo: two ConfigMaps carrying FLINK_PROPERTIES, then the FlinkDeployment. */
export const TOOLBOX_DEMO_FILE = join(EXAMPLES_DIRECTORY, 'flinkdeployment-toolbox-demo.yaml');

/** Values of the flinkvisor-jobs chart: JobManager HA, state on S3, three jobs (the chart README's). */
export const JOBS_CHART_HA_S3_VALUES_FILE = join(JOBS_CHART_DIRECTORY, 'examples', 'ha-s3.yaml');
