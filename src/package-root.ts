import { fileURLToPath } from 'node:url';

/** The installed package's folder, from sources (src/) or from the compiled tree (dist/src/). */
export const packageRoot = fileURLToPath(new URL(import.meta.url.includes('/dist/src/') ? '../../' : '../', import.meta.url));
