// The generated pages of docs/machines/: one per machine, drawn from the machine definitions.
import { clusterMachine } from './cluster-machine.ts';
import { jobMachine } from './job-machine.ts';
import { renderMachineDoc } from './render-mermaid.ts';

export interface MachineDocument {
  /** File name inside the output directory. */
  readonly file: string;
  readonly content: string;
}

export function machineDocuments(): MachineDocument[] {
  return [
    { file: 'cluster.md', content: renderMachineDoc(clusterMachine, 'Cluster machine') },
    { file: 'job.md', content: renderMachineDoc(jobMachine, 'Job machine') },
  ];
}
