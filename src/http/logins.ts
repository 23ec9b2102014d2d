/**
 * Who may log in to the page: the accounts the wiring hands over (the embedded broker's `viewer` and `operator`
 * accounts, or `dashboard.users` with an external broker), one set of credentials for the broker and the page.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type DashboardRole = 'viewer' | 'operator';

export interface DashboardAccount {
  readonly username: string;
  readonly password: string;
  readonly role: DashboardRole;
}

/** Digests have one length, so comparing them takes the same time whatever the lengths of what was given. */
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The account whose user name and password both match, or undefined. Every account is compared, so the time taken
 * does not tell which user names exist.
 */
export function checkLogin(accounts: readonly DashboardAccount[], username: string, password: string): DashboardAccount | undefined {
  const user = digest(username);
  const pass = digest(password);
  let found: DashboardAccount | undefined;
  for (const a of accounts) {
    const nameOk = timingSafeEqual(user, digest(a.username));
    const passOk = timingSafeEqual(pass, digest(a.password));
    if (nameOk && passOk && found === undefined) found = a;
  }
  return found;
}
