/** A listener's host as it goes into a URL: IPv6 literals in brackets (`[::1]`), names and IPv4 as they are. */
export const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);
