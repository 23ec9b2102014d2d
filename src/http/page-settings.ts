/**
 * What the wiring hands the dashboard about the service (DashboardPage), and `/settings.json`: what the page of one
 * visitor needs. No credential goes in it: the page reaches the broker through the relay on its own origin. Topics
 * come built (src/sinks/topics.ts, by the wiring): the page builds none. The command topics go to operators only.
 */
import { resultTopic } from '../operator-commands.js';
import type { LastRejects } from './last-rejects.js';
import type { RelayCredential, RelayUser } from './relay-guard.js';

export interface DashboardTopics {
  readonly verdict: string;
  /** Part decisions (docs/parts.md). */
  readonly part: string;
  readonly heatmap: string;
  readonly feed: string;
  readonly status: string;
}

export interface PageCamera {
  readonly line: string;
  readonly camera: string;
  /** The gap the camera's frames should keep (ms), from its configured rate; null when it has none (free rate, triggers). */
  readonly intervalMs: number | null;
  /** Frames come on triggers (parts), so a silence is no fault: only a status cause alarms. */
  readonly triggered: boolean;
  /** Retained: the threshold in force, echoed after every change. */
  readonly thresholdTopic: string;
  /** The operator's command. */
  readonly thresholdSetTopic: string;
  /** The operator's feedback on a verdict of the camera. */
  readonly feedbackTopic: string;
}

export interface PageLine {
  readonly line: string;
  /** Retained: the product the line inspects; the operator's command too. */
  readonly recipeTopic: string;
}

export interface DashboardPage {
  /** The broker's MQTT-over-WebSocket listener the server relays the page to (reached from this box). */
  readonly brokerWsUrl: string;
  /** The read-only credential of the page without login; undefined: the broker lets anonymous clients read. */
  readonly readOnly?: RelayCredential;
  readonly prefix: string;
  readonly node: string;
  /** Width of the score chart, seconds. */
  readonly chartSeconds: number;
  /** IANA name of the zone the page shows times in. */
  readonly timeZone: string;
  /** Recent scores per camera (ScoreHistory.toJSON()). */
  readonly history: () => unknown;
  readonly lastRejects: LastRejects;
  /** The filters the page subscribes to. */
  readonly topics: DashboardTopics;
  readonly cameras: readonly PageCamera[];
  readonly lines: readonly PageLine[];
  /** What a recipe may name now: the live model's classes. */
  readonly products: () => readonly string[];
}

/** `/settings.json` for `user`. */
export function pageSettings(page: DashboardPage, user: RelayUser, login: { readonly loginRequired: boolean; readonly canLogIn: boolean }, now = Date.now()) {
  const operator = user.role === 'operator';
  return {
    user: user.username ?? null,
    role: user.role,
    loginRequired: login.loginRequired,
    canLogIn: login.canLogIn,
    /** The relay, relative to the page: same host, port and scheme as the page itself. */
    mqttPath: 'mqtt',
    prefix: page.prefix,
    node: page.node,
    chartSeconds: page.chartSeconds,
    /** The service's clock now: the page's times are the service's. */
    now,
    timeZone: page.timeZone,
    topics: page.topics,
    cameras: page.cameras.map((c) => ({
      line: c.line,
      camera: c.camera,
      intervalMs: c.intervalMs,
      triggered: c.triggered,
      thresholdTopic: c.thresholdTopic,
      ...(operator ? { thresholdSetTopic: c.thresholdSetTopic, thresholdResultTopic: resultTopic(c.thresholdSetTopic), feedbackTopic: c.feedbackTopic, feedbackResultTopic: resultTopic(c.feedbackTopic) } : {}),
    })),
    // an operator's commands are answered on their result topics (README, "Commands")
    lines: page.lines.map((l) => (operator ? { ...l, recipeResultTopic: resultTopic(l.recipeTopic) } : l)),
    products: operator ? page.products() : [],
    controls: operator,
  };
}
