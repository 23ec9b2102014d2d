/**
 * Logins of the page: a random token in an HttpOnly, SameSite=Strict cookie, kept in memory (a restart of the
 * service logs everyone out). A session lasts `ttlMs` after its last use; an open live connection (the page's MQTT
 * relay) is use. Logging out, or expiring, closes the session's live connections.
 */
import { randomBytes } from 'node:crypto';
import type { DashboardRole } from './logins.js';

export const sessionCookieName = 'uniad_session';

export interface Session {
  readonly token: string;
  readonly username: string;
  readonly role: DashboardRole;
}

interface Held extends Session {
  usedAt: number;
  /** What closes each live connection of the session. */
  readonly live: Set<() => void>;
}

export class Sessions {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  open(username: string, role: DashboardRole): Session {
    this.sweep();
    const token = randomBytes(32).toString('base64url');
    const s: Held = { token, username, role, usedAt: this.now(), live: new Set() };
    this.held.set(token, s);
    return { token, username, role };
  }

  /** The session of `token` while it lasts (and marks it used), else undefined. */
  find(token: string | undefined): Session | undefined {
    if (token === undefined) return undefined;
    const s = this.held.get(token);
    if (s === undefined) return undefined;
    if (this.expired(s)) {
      this.end(token);
      return undefined;
    }
    s.usedAt = this.now();
    return { token: s.token, username: s.username, role: s.role };
  }

  /** Registers a live connection of the session; returns what unregisters it (when the connection closes). */
  hold(token: string, close: () => void): () => void {
    const s = this.held.get(token);
    if (s === undefined) {
      close();
      return () => undefined;
    }
    s.live.add(close);
    return () => {
      s.live.delete(close);
      s.usedAt = this.now();
    };
  }

  /** Ends the session and closes its live connections. */
  end(token: string): void {
    const s = this.held.get(token);
    if (s === undefined) return;
    this.held.delete(token);
    for (const close of [...s.live]) close();
  }

  get size(): number {
    return this.held.size;
  }

  private expired(s: Held): boolean {
    return s.live.size === 0 && this.now() - s.usedAt > this.ttlMs;
  }

  private sweep(): void {
    for (const [token, s] of this.held) if (this.expired(s)) this.end(token);
  }
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for a session: not readable by scripts, never sent by another site, `Secure` over HTTPS. */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${sessionCookieName}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.round(maxAgeSeconds)}${secure ? '; Secure' : ''}`;
}

/** Set-Cookie that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${sessionCookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
