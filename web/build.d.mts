export function buildWeb(outdir?: string): Promise<string>;
