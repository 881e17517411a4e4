import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

/** Request options that set a patch's content type (client-node defaults to JSON Patch). */
export const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
export const strategicMergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
export const jsonPatch = () => setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
