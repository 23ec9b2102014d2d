/**
 * The accounts of the embedded broker, from `embeddedBroker` in the config. Pure (the secret generator is passed in).
 *
 * - `users` lists accounts with a role; `username`/`password` is shorthand for one `service` account.
 * - The service always connects with a `service` account: the first configured one, else one made up for this run
 *   (random password, never written anywhere), so the ACL holds even when nobody configured users.
 * - The dashboard always connects with a `viewer` account: the first configured one, else one made up for this run.
 * - Anonymous clients (no username) may read only, and only when allowed: by default when no account is
 *   configured (the broker listens on loopback), never by default once any account is.
 */
import type { Role } from '../types.js';

export interface Credential {
  readonly username: string;
  readonly password: string;
}

export interface Account extends Credential {
  readonly role: Role;
}

/** The account fields of the `embeddedBroker` config section; `users` may be left out (none). */
export interface AccountSettings {
  readonly username?: string;
  readonly password?: string;
  readonly users?: readonly Account[];
  readonly allowAnonymous?: boolean;
}

export interface BrokerAccounts {
  readonly accounts: readonly Account[];
  /** What the service connects with. */
  readonly service: Credential;
  /** What the dashboard connects with. */
  readonly viewer: Credential;
  readonly allowAnonymous: boolean;
}

/** Names of the made-up accounts (a number is added if a configured user has the name). */
export const generatedUsernames = { service: 'uniad-edge-service', viewer: 'uniad-edge-dashboard' } as const;

export function brokerAccounts(cfg: AccountSettings, secret: () => string): BrokerAccounts {
  const shorthand: Account[] = cfg.username !== undefined ? [{ username: cfg.username, password: cfg.password ?? '', role: 'service' }] : [];
  const configured = [...shorthand, ...(cfg.users ?? [])];
  const accounts = [...configured];
  const pick = (role: 'service' | 'viewer'): Credential => {
    const found = configured.find((a) => a.role === role);
    if (found) return found;
    let username: string = generatedUsernames[role];
    for (let n = 2; accounts.some((a) => a.username === username); n++) username = `${generatedUsernames[role]}-${n}`;
    const made = { username, password: secret(), role };
    accounts.push(made);
    return made;
  };
  const service = pick('service');
  const viewer = pick('viewer');
  return { accounts, service: strip(service), viewer: strip(viewer), allowAnonymous: cfg.allowAnonymous ?? configured.length === 0 };
}

const strip = ({ username, password }: Credential): Credential => ({ username, password });
