// The machines' public surface for the supervisor, the CLI and the visualizer.
export * from './observations.ts';
export * from './policies.ts';
export * from './ports.ts';
export * from './ids.ts';
export * from './envelope.ts';
export * from './job-machine.ts';
export * from './cluster-machine.ts';
export * from './views.ts';
export * from './persistence.ts';
export * from './predict.ts';
export * from './render-mermaid.ts';
export * from './documents.ts';
