/**
 * Every command of `uniad-edge`, in the order `uniad-edge --help` lists them. A new command is a file in this folder
 * and a line here; the dispatcher (cli.ts), the help and the tests take it from this table.
 */
import { actuate } from './actuate.js';
import { calibrate } from './calibrate.js';
import { check } from './check.js';
import { collect } from './collect.js';
import type { Command } from './command.js';
import { consume } from './consume.js';
import { demo } from './demo.js';
import { doctor } from './doctor.js';
import { evaluate } from './evaluate.js';
import { evidence } from './evidence.js';
import { fleet } from './fleet.js';
import { models } from './models.js';
import { rollout } from './rollout.js';
import { run } from './run.js';
import { shadowReport } from './shadow-report.js';
import { train } from './train.js';

export const commands: readonly Command[] = [run, check, doctor, demo, actuate, evaluate, evidence, shadowReport, calibrate, collect, train, models, rollout, consume, fleet];
