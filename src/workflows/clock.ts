/** Workflow time in epoch ms: the SDK makes Date deterministic on replay. */
export const now = (): number => new Date().getTime();
