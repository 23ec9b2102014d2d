/** One line of `uniad-edge doctor`: what was checked, what it found, and for what is missing, the fix. */
export interface Finding {
  readonly check: string;
  /** `missing`: the service cannot do this part (exit status 1); `warn`: it can, worse; `info`: not applicable here. */
  readonly status: 'ok' | 'missing' | 'warn' | 'info';
  readonly detail: string;
  readonly fix?: string;
}

const marks: Record<Finding['status'], string> = { ok: 'ok     ', missing: 'MISSING', warn: 'warn   ', info: 'info   ' };

export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${marks[f.status]} ${f.check}: ${f.detail}${f.fix ? `\n        fix: ${f.fix}` : ''}`).join('\n');
}
