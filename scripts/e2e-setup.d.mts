export const E2E_HOST_VERSIONS: string[];
export const CACHE_DIR: string;
export const NODE_BIN: string;
export function openclawEntry(version: string): string;
export function ensureNode(): string;
export function ensureOpenclaw(version: string): string;
