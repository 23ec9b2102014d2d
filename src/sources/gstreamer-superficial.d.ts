/**
 * The part of gstreamer-superficial 1.7 (a NAN addon without its own types) that the capture child uses.
 * Behaviour measured on this platform is in docs/platform.md.
 */
declare module 'gstreamer-superficial' {
  /** The first structure of a GstCaps, its fields as plain values (`name` is the media type). */
  export type CapsFields = Record<string, string | number | boolean | undefined>;

  /** A bus message: `type` is the message type name, plus the message structure's fields. */
  export interface BusMessage {
    readonly type: string;
    /** Path of the element that posted an `error`. */
    readonly name?: string;
    /** Text of an `error`. */
    readonly message?: string;
    readonly _src_element_name?: string;
    readonly [field: string]: unknown;
  }

  export interface AppSink {
    /** One-shot: calls back once with the next sample, or with null at end of stream or when stopped. */
    pull(callback: (buffer: Buffer | null, caps: CapsFields) => void): void;
  }

  export class Pipeline {
    /** Throws on a description gst_parse_launch rejects. */
    constructor(description: string);
    play(): void;
    pause(): void;
    stop(): void;
    findChild(name: string): AppSink | null;
    /** Whether stop() flushes the bus (default true); a flush can leave a pending `pollBus` waiting for good. */
    autoFlushBus: boolean;
    /** Calls back for every bus message until the pipeline is stopped. */
    pollBus(callback: (message: BusMessage) => void): void;
  }
}
