import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkCrdFiles, DEFAULT_CRD_DIRECTORY } from '../../../src/api/crd-files.ts';
import { crdManifests, GENERATED_HEADER, renderCrdFiles } from '../../../src/api/crd-manifests.ts';

// The drift check: the committed deploy/crds/*.yaml must be exactly what the zod schemas generate.
// When this fails, run `npm run flinkvisor -- crds generate` and commit the result.
describe('deploy/crds', () => {
  it('holds exactly the generated CRDs, byte for byte', async () => {
    const generated = renderCrdFiles();
    const committed = (await readdir(DEFAULT_CRD_DIRECTORY)).filter((f) => f.endsWith('.yaml')).sort();
    expect(committed).toEqual([...generated.keys()].sort());
    for (const [file, content] of generated) {
      const onDisk = await readFile(join(DEFAULT_CRD_DIRECTORY, file), 'utf8');
      expect(onDisk, `${file} drifted from src/api: run \`flinkvisor crds generate\``).toBe(content);
    }
    expect(await checkCrdFiles(DEFAULT_CRD_DIRECTORY)).toEqual(
      [...generated.keys()].map((file) => ({ file, state: 'up-to-date' })),
    );
  });

  it('are plain YAML of the manifests, with a do-not-edit header', () => {
    for (const [file, content] of renderCrdFiles()) {
      expect(content.startsWith(GENERATED_HEADER)).toBe(true);
      expect(content).not.toMatch(/^\s*[&*]\w/m); // no YAML anchors or aliases
      const manifest = crdManifests().find((m) => file.endsWith(`_${m.spec.names.plural}.yaml`));
      expect(parse(content)).toEqual(manifest);
    }
  });

  it('generation is deterministic', () => {
    expect([...renderCrdFiles()]).toEqual([...renderCrdFiles()]);
  });
});
