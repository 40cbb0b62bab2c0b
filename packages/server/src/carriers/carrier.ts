/**
 * The carrier port. Every carrier (the sandbox, Twilio, Telnyx, Bandwidth) is an adapter with this
 * shape; nothing outside `carriers/` knows which one it talks to.
 */
export interface OutboundMessage {
  /** Textback's message id: sent to the carrier as our reference, so a lost response can be recovered. */
  messageId: string;
  orgId: string;
  from: string;
  to: string;
  body: string;
  media?: string[];
}

export interface SendResult {
  carrierMessageId: string;
}

/**
 * How to treat a failure (the carriers' error classes):
 * - retryable: nothing was sent; try again later (429, 5xx before acceptance);
 * - permanent: the carrier refused this message for good (invalid number, landline, ...);
 * - unknown: the request may or may not have been accepted (a timeout): ask the carrier before resending.
 */
export type CarrierErrorClass = 'retryable' | 'permanent' | 'unknown';

export class CarrierError extends Error {
  constructor(
    readonly errorClass: CarrierErrorClass,
    /** The carrier's own error code, as a string. */
    readonly code: string,
    /** Textback's normalized failure reason. */
    readonly reason: string,
    message: string,
    /** When the carrier said when to come back (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface CarrierAdapter {
  readonly kind: string;
  send(message: OutboundMessage): Promise<SendResult>;
  /** Finds a message we may have sent, by our own reference; null when the carrier never got it. */
  lookup(orgId: string, messageId: string): Promise<SendResult | null>;
}

/** Normalized delivery receipt, produced by every adapter's webhook parser and by the sandbox. */
export interface DeliveryReceipt {
  carrier: string;
  carrierMessageId: string;
  status: 'sent' | 'delivered' | 'undelivered' | 'failed';
  errorCode?: string | undefined;
  reason?: string | undefined;
}

/** Normalized inbound message, produced by every adapter's webhook parser and by the sandbox. */
export interface InboundMessage {
  carrier: string;
  carrierMessageId: string;
  from: string;
  to: string;
  body: string;
  media?: string[];
}
