import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/http/login-throttle.js';
import { checkLogin } from '../../src/http/logins.js';
import { clearedSessionCookie, cookieValue, sessionCookie, Sessions } from '../../src/http/sessions.js';

describe('sessions', () => {
  it('should last ttl after their last use, not after the login', () => {
    let now = 0;
    const sessions = new Sessions(1000, () => now);
    const s = sessions.open('op', 'operator');
    now = 900;
    expect(sessions.find(s.token)).toMatchObject({ username: 'op', role: 'operator' });
    now = 1800;
    expect(sessions.find(s.token)?.username).toBe('op');
    now = 2801;
    expect(sessions.find(s.token)).toBeUndefined();
    expect(sessions.find(undefined)).toBeUndefined();
    expect(sessions.find('made-up')).toBeUndefined();
  });

  it('should not expire while a live connection is open, and close it when the session ends', () => {
    let now = 0;
    const sessions = new Sessions(1000, () => now);
    const s = sessions.open('view', 'viewer');
    let closed = 0;
    const release = sessions.hold(s.token, () => closed++);
    now = 10_000;
    expect(sessions.find(s.token)?.username).toBe('view');
    release();
    now = 10_500;
    expect(sessions.find(s.token)?.username).toBe('view');
    sessions.hold(s.token, () => closed++);
    sessions.end(s.token);
    expect(closed).toBe(1);
    expect(sessions.find(s.token)).toBeUndefined();
    // a connection for a session that is gone is closed at once
    sessions.hold(s.token, () => closed++);
    expect(closed).toBe(2);
  });

  it('should forget expired sessions when a new one opens', () => {
    let now = 0;
    const sessions = new Sessions(1000, () => now);
    sessions.open('a', 'viewer');
    sessions.open('b', 'viewer');
    now = 5000;
    sessions.open('c', 'viewer');
    expect(sessions.size).toBe(1);
  });

  it('should give each session a token of its own, 256 random bits', () => {
    const sessions = new Sessions(1000);
    const tokens = new Set(Array.from({ length: 50 }, () => sessions.open('a', 'viewer').token));
    expect(tokens.size).toBe(50);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('should write an HttpOnly, SameSite=Strict cookie that expires, Secure over HTTPS, and read it back', () => {
    expect(sessionCookie('tok', 43200, false)).toBe('uniad_session=tok; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200');
    expect(sessionCookie('tok', 60, true)).toBe('uniad_session=tok; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure');
    expect(clearedSessionCookie(false)).toBe('uniad_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
    expect(cookieValue('a=1; uniad_session=tok ; b=2', 'uniad_session')).toBe('tok');
    expect(cookieValue('a=1', 'uniad_session')).toBeUndefined();
    expect(cookieValue(undefined, 'uniad_session')).toBeUndefined();
  });
});

describe('logins', () => {
  const accounts = [
    { username: 'view', password: 'v-pw', role: 'viewer' as const },
    { username: 'op', password: 'o-pw', role: 'operator' as const },
  ];
  it('should find the account whose name and password both match', () => {
    expect(checkLogin(accounts, 'op', 'o-pw')).toEqual(accounts[1]);
    expect(checkLogin(accounts, 'op', 'v-pw')).toBeUndefined();
    expect(checkLogin(accounts, 'nobody', 'o-pw')).toBeUndefined();
    expect(checkLogin(accounts, 'op', '')).toBeUndefined();
    expect(checkLogin([], '', '')).toBeUndefined();
  });
});

describe('login throttle', () => {
  it('should refuse an address after its failures within the window, and forgive it after', () => {
    let now = 0;
    const t = new LoginThrottle(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(t.waitSeconds('10.0.0.9')).toBe(0);
      t.failed('10.0.0.9');
      now += 1000;
    }
    expect(t.waitSeconds('10.0.0.9')).toBe(57);
    expect(t.waitSeconds('10.0.0.8')).toBe(0);
    now = 60_001;
    expect(t.waitSeconds('10.0.0.9')).toBe(0);
  });

  it('should clear an address on a successful login', () => {
    const t = new LoginThrottle(2, 60_000, () => 0);
    t.failed('a');
    t.succeeded('a');
    t.failed('a');
    expect(t.waitSeconds('a')).toBe(0);
  });
});
