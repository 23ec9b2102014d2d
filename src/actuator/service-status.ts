/**
 * What the service's retained status (`<prefix>/status/<node>`: online, degraded with its causes, offline; see
 * sinks/payload.ts) means for a station whose parts are known only from their decisions: while the service is
 * offline, or degraded by a cause that may stop decisions (`holdCauses`), such a station holds its ejector in
 * reject. Pure.
 */

/** Why to hold, or undefined when decisions can be trusted to come. */
export function serviceHoldReason(payload: Buffer | string, node: string, holdCauses: readonly string[]): string | undefined {
  let status: { state?: unknown; causes?: unknown };
  try {
    status = JSON.parse(payload.toString()) as typeof status;
  } catch {
    return `the status of service "${node}" is not JSON`;
  }
  switch (status.state) {
    case 'online':
      return undefined;
    case 'offline':
      return `service "${node}" is offline`;
    case 'degraded': {
      const codes = Array.isArray(status.causes) ? status.causes.map((c: { code?: unknown }) => String(c?.code)) : [];
      const holding = codes.filter((c) => holdCauses.includes(c));
      return holding.length === 0 ? undefined : `service "${node}" is degraded: ${holding.join(', ')}`;
    }
    default:
      return `service "${node}" reports an unknown state ${JSON.stringify(status.state)}`;
  }
}
