/** What an address says about who can reach a listener, or who is asking. Pure. */

const bare = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();

/** 0.0.0.0, ::, or empty: bound to every interface, so no address a browser could use. */
export function isWildcardHost(host: string): boolean {
  const h = bare(host);
  return h === '' || h === '0.0.0.0' || /^[0:]+$/.test(h);
}

/** A listener on this host is reachable from this box only: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = bare(host);
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/** A client's address (socket.remoteAddress) is this box itself. */
export const isLoopbackAddress = (address: string | undefined): boolean => address !== undefined && isLoopbackHost(address);
