/**
 * Operator feedback on a verdict (README, "Operator feedback"): the frame of that verdict, from the evidence archive,
 * joins the dataset. A false reject, a good part the model rejected, joins its product's good images
 * (`<dataset>/<product>/train/good/`) for the next training and calibration; a missed defect, a defective part the
 * model passed, is kept as a labelled defect for evaluation (`<dataset>/<product>/test/<defect>/`, `missed` unless
 * the operator names the kind). Every feedback taken is a line of `<dataset>/feedback.jsonl`: who, when, which
 * verdict, what kind, which file. One feedback a verdict: a second is refused, naming the first.
 *
 * The archive keeps the frame of every reject and of 1 passed part in `archive.goodSampleEvery`: a false reject
 * always has its frame (while the archive's retention keeps it), a missed defect only when its part was a sample.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findEvidence, readEvidenceVerdict } from '../evidence/archive.js';
import type { FeedbackKind } from '../operator-commands.js';
import { goodFolder, NumberedFolder } from './product-folder.js';

export interface FeedbackRecord {
  readonly at: string;
  /** Who gave it: the user the embedded broker authenticated, or who an external broker's client says it is. */
  readonly by: string;
  readonly verified: boolean;
  readonly verdictId: string;
  readonly kind: FeedbackKind;
  readonly product: string;
  readonly camera: string;
  /** The verdict's score, threshold and model: what the model said of the frame. */
  readonly score: number | null;
  readonly threshold: number;
  readonly model: string;
  /** Where the frame went in the dataset. */
  readonly file: string;
}

export interface FeedbackOptions {
  readonly archiveDir: string;
  readonly dataset: string;
  readonly now?: () => number;
}

export interface FeedbackRequest {
  /** The camera and line of the command's topic: the verdict must be theirs. */
  readonly line: string;
  readonly camera: string;
  readonly verdictId: string;
  readonly kind: FeedbackKind;
  readonly defect?: string;
}

interface ArchivedVerdict {
  readonly id: string;
  readonly line: string;
  readonly camera: string;
  readonly product: string;
  readonly reject: boolean;
  readonly reason: string;
  readonly score: number | null;
  readonly threshold: number;
  readonly model: string;
}

export const feedbackLog = (dataset: string): string => join(dataset, 'feedback.jsonl');

/** The verdict ids that have feedback in the log already, with their record (a line that does not parse is skipped). */
function readLog(path: string): Map<string, FeedbackRecord> {
  const given = new Map<string, FeedbackRecord>();
  if (!existsSync(path)) return given;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const record = JSON.parse(line) as FeedbackRecord;
      given.set(record.verdictId, record);
    } catch {
      // a line cut short by a crash: the records before and after it still count
    }
  }
  return given;
}

/** Takes operator feedback into the dataset. Each refusal is an Error whose message says why and what to do. */
export class FeedbackBook {
  private readonly given: Map<string, FeedbackRecord>;
  private readonly now: () => number;

  constructor(private readonly opts: FeedbackOptions) {
    this.now = opts.now ?? Date.now;
    this.given = readLog(feedbackLog(opts.dataset));
  }

  /** The frame of the verdict copied into the dataset and the record appended; throws with the reason when it cannot be. */
  give(request: FeedbackRequest, sender: { readonly by: string; readonly verified: boolean }): FeedbackRecord {
    const { verdictId, kind } = request;
    const earlier = this.given.get(verdictId);
    if (earlier !== undefined) throw new Error(`verdict "${verdictId}" has feedback already: ${earlier.kind} by ${earlier.by} at ${earlier.at} (${earlier.file})`);
    const dir = findEvidence(this.opts.archiveDir, verdictId);
    if (dir === undefined) {
      throw new Error(
        `verdict "${verdictId}" is not in the evidence archive (${this.opts.archiveDir}): the archive keeps every reject's frame and 1 passed frame in archive.goodSampleEvery, within archive.maxMegabytes and archive.maxAgeDays; a frame that is not kept cannot be learnt from`,
      );
    }
    const verdict = readEvidenceVerdict(dir) as ArchivedVerdict;
    if (verdict.camera !== request.camera || verdict.line !== request.line) {
      throw new Error(`verdict "${verdictId}" is of camera ${verdict.camera} on line ${verdict.line}: send its feedback to that camera's topic, .../${verdict.line}/${verdict.camera}/feedback`);
    }
    if (kind === 'false-reject' && !(verdict.reject && verdict.reason === 'anomaly')) {
      throw new Error(`verdict "${verdictId}" was not an anomaly reject (reject ${verdict.reject}, reason "${verdict.reason}"): a false reject is a good part the model rejected${verdict.reject ? '; a fail-safe reject was never judged by the model' : ''}`);
    }
    if (kind === 'missed-defect' && verdict.reject) throw new Error(`verdict "${verdictId}" was a reject (reason "${verdict.reason}"): a missed defect is a defective part the model passed`);
    const folder = kind === 'false-reject' ? goodFolder(this.opts.dataset, verdict.product) : join(this.opts.dataset, verdict.product, 'test', request.defect ?? 'missed');
    // training reads a product by its train/good folder: a product known so far only by a missed defect gets one
    mkdirSync(goodFolder(this.opts.dataset, verdict.product), { recursive: true });
    const file = new NumberedFolder(folder).addPng(readFileSync(join(dir, 'frame.png')));
    const record: FeedbackRecord = {
      at: new Date(this.now()).toISOString(),
      by: sender.by,
      verified: sender.verified,
      verdictId,
      kind,
      product: verdict.product,
      camera: verdict.camera,
      score: verdict.score,
      threshold: verdict.threshold,
      model: verdict.model,
      file,
    };
    appendFileSync(feedbackLog(this.opts.dataset), `${JSON.stringify(record)}\n`);
    this.given.set(verdictId, record);
    return record;
  }
}
