/**
 * Who may use the dashboard's port (docs: README "Dashboard, metrics, health"):
 *
 * - The page and its HTTP API (`/`, `/settings.json`, `/history.json`, `/last-rejects.json`, the pictures, the MQTT
 *   relay) want a login when it is required (`dashboard.login`: always, or `auto` and bound beyond loopback). A login
 *   is a form (`POST /login`) and a session cookie: a plant's shared browsers log out with a button, which HTTP Basic
 *   cannot do. Without a required login the page opens read-only, and an operator logs in for the controls.
 * - `/metrics`, `/healthz`, `/readyz` are open, or with `dashboard.metricsAuth: basic` want HTTP Basic with a
 *   dashboard account (what Prometheus' `basic_auth` sends), except from the box itself (systemd, a local agent).
 * - `/login` and `style.css` are open: they hold nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../types.js';
import { isLoopbackAddress } from './hosts.js';
import { LoginThrottle } from './login-throttle.js';
import { checkLogin, type DashboardAccount } from './logins.js';
import { pageHeaders } from './page-files.js';
import type { RelayUser } from './relay-guard.js';
import { clearedSessionCookie, cookieValue, sessionCookie, sessionCookieName, Sessions, type Session } from './sessions.js';

export interface GateOptions {
  /** Who may log in: viewer and operator accounts. */
  readonly accounts: readonly DashboardAccount[];
  /** The page wants a login; else it opens read-only. */
  readonly loginRequired: boolean;
  readonly sessionHours: number;
  readonly metricsAuth: 'none' | 'basic';
  /** Served over HTTPS: the cookie is `Secure`. */
  readonly secure: boolean;
  /** The login page with `message` shown on it (HTML-escaped by the caller's template). */
  readonly loginPage: (message: string) => Promise<string>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Who is asking: a logged-in user, or the page without login. */
export interface Visitor {
  readonly user: RelayUser;
  readonly session?: Session;
}

/** A login form is small; anything larger is not one. */
const maxFormBytes = 4096;

function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve) => {
    let body = '';
    let tooLarge = false;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      if (tooLarge) return;
      body += chunk;
      if (body.length > maxFormBytes) tooLarge = true;
    });
    req.on('end', () => resolve(tooLarge ? undefined : new URLSearchParams(body)));
    req.on('error', () => resolve(undefined));
  });
}

/** A browser's request from another site (its Origin is not this server): refused for anything that changes state. */
export function crossSite(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

const address = (req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown';

export class Gate {
  readonly sessions: Sessions;
  private readonly throttle: LoginThrottle;

  constructor(private readonly opts: GateOptions) {
    this.sessions = new Sessions(opts.sessionHours * 3_600_000, opts.now);
    this.throttle = new LoginThrottle(10, 60_000, opts.now);
  }

  get canLogIn(): boolean {
    return this.opts.accounts.length > 0;
  }

  /** Who the request comes from, or undefined when it needs a login it does not have. */
  visitor(req: IncomingMessage): Visitor | undefined {
    const session = this.sessions.find(cookieValue(req.headers.cookie, sessionCookieName));
    if (session) return { user: { username: session.username, role: session.role }, session };
    return this.opts.loginRequired ? undefined : { user: { username: undefined, role: 'viewer' } };
  }

  /** The session cookie again, so it lasts as long as the session does (a page that is used stays logged in). */
  renew(res: ServerResponse, visitor: Visitor): void {
    if (visitor.session) res.setHeader('set-cookie', sessionCookie(visitor.session.token, this.opts.sessionHours * 3600, this.opts.secure));
  }

  /** Whether /metrics, /healthz, /readyz may be answered; when not, the response (401 or 429) is sent. */
  healthAllowed(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.opts.metricsAuth === 'none' || isLoopbackAddress(req.socket.remoteAddress)) return true;
    const wait = this.throttle.waitSeconds(address(req));
    if (wait > 0) {
      res.writeHead(429, { 'retry-after': String(wait), 'content-type': 'text/plain' }).end('too many failed logins: try again later\n');
      return false;
    }
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon >= 0 && checkLogin(this.opts.accounts, text.slice(0, colon), text.slice(colon + 1))) return true;
      this.throttle.failed(address(req));
      this.opts.logger.warn('dashboard: refused /metrics or health with a wrong user name or password', { address: address(req) });
    }
    res.writeHead(401, { 'www-authenticate': 'Basic realm="uniad-edge", charset="UTF-8"', 'content-type': 'text/plain' }).end('log in with a dashboard account (HTTP Basic)\n');
    return false;
  }

  /** `POST /login` (form fields `username`, `password`): the session cookie and on to the page, or the form again. */
  async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const from = address(req);
    const form = crossSite(req) ? undefined : await readForm(req);
    const wait = this.throttle.waitSeconds(from);
    if (wait > 0) return this.form(res, 429, `Too many failed logins from this address: try again in ${wait} s.`, { 'retry-after': String(wait) });
    if (form === undefined) return this.form(res, 400, 'That was not the login form: log in here.');
    const username = form.get('username') ?? '';
    const account = checkLogin(this.opts.accounts, username, form.get('password') ?? '');
    if (account === undefined) {
      this.throttle.failed(from);
      this.opts.logger.warn('dashboard: login refused: wrong user name or password', { username, address: from });
      return this.form(res, 401, 'Wrong user name or password.');
    }
    this.throttle.succeeded(from);
    const session = this.sessions.open(account.username, account.role);
    this.opts.logger.info('dashboard: logged in', { username: account.username, role: account.role, address: from });
    res.writeHead(303, { location: './', 'set-cookie': sessionCookie(session.token, this.opts.sessionHours * 3600, this.opts.secure), 'cache-control': 'no-store' }).end();
  }

  /** `POST /logout`: ends the session (and its live connection) and forgets the cookie. */
  logout(req: IncomingMessage, res: ServerResponse): void {
    if (crossSite(req)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('refused: the request came from another site\n');
      return;
    }
    const session = this.sessions.find(cookieValue(req.headers.cookie, sessionCookieName));
    if (session) {
      this.sessions.end(session.token);
      this.opts.logger.info('dashboard: logged out', { username: session.username, address: address(req) });
    }
    res.writeHead(303, { location: this.opts.loginRequired ? 'login' : './', 'set-cookie': clearedSessionCookie(this.opts.secure), 'cache-control': 'no-store' }).end();
  }

  /** `GET /login`. */
  loginForm(res: ServerResponse): Promise<void> {
    return this.form(res, 200, !this.canLogIn ? 'No account can log in: the service has no viewer or operator account (see the README, "Dashboard, metrics, health").' : '');
  }

  private async form(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): Promise<void> {
    const html = await this.opts.loginPage(message);
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...pageHeaders, ...headers }).end(html);
  }
}
