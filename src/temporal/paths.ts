import { join, resolve } from 'node:path';

/** Repository root, whether running from src/ under tsx or from a bundle. */
export const ROOT = resolve(__dirname, '../..');
/** Git-ignored folders for installed tools and local server state. */
export const TOOLS_DIR = join(ROOT, '.tools');
export const DATA_DIR = join(ROOT, '.data');
export const WORKFLOW_BUNDLE = join(ROOT, 'dist/workflow-bundle.js');
