/** The config's top-level fields: where this node stands in the topics, and where it keeps its state. */
import { z } from 'zod';
import { topicLevel } from './fields.js';

export const topLevel = {
  /** Folder for everything kept between runs (queue, lock, archive, ...); default in src/state-dir.ts. */
  stateDir: z.string().min(1, 'give a folder, or leave stateDir out for the default').optional(),
  /** The dataset folder (`uniad-edge collect`, `train`) that operator feedback adds frames to; default `<stateDir>/dataset`. */
  dataset: z.string().min(1, 'give a folder, or leave dataset out for <stateDir>/dataset').optional(),
  site: topicLevel.default('site'),
  node: topicLevel.default('edge'),
};
