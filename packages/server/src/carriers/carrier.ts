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

/** What a lookup may use when the carrier cannot search by our reference (its list APIs filter on these). */
export interface LookupHint {
  from: string;
  to: string;
  body: string;
  /** When our message was created: nothing the carrier accepted before it can be ours. */
  createdAt: number;
}

export interface CarrierAdapter {
  readonly kind: string;
  send(message: OutboundMessage): Promise<SendResult>;
  /**
   * Finds a message we may have sent, by our own reference; null when the carrier never got it.
   * Throws a retryable CarrierError when the carrier cannot be asked right now: never resend blind.
   */
  lookup(orgId: string, messageId: string, hint?: LookupHint): Promise<SendResult | null>;
}

/** A number of a carrier account, as its API lists it. */
export interface CarrierNumber {
  e164: string;
  /** The carrier's id of the number (to update its webhook URLs). */
  carrierNumberId?: string | undefined;
  name?: string | undefined;
  capabilities?: string[] | undefined;
  /** Telnyx: the messaging profile the number belongs to (its webhook URL is set there). */
  messagingProfileId?: string | undefined;
}

/** The URLs a carrier account's webhooks must point at (docs/carriers/). */
export interface WebhookUrls {
  messages: string;
  calls: string;
  /** Twilio: per-message status callbacks (set on every send, nothing to paste). */
  status?: string | undefined;
}

export interface WebhookSetupResult {
  /** What was set through the carrier's API (number or profile, with the URL). */
  configured: Array<{ target: string; field: string; url: string }>;
  /** What must be pasted by hand (the API cannot set it, or setting it failed). */
  manual: Array<{ target: string; field: string; url: string; why: string }>;
}

/** Account-level operations of a real carrier: its numbers, and pointing its webhooks at us. */
export interface CarrierAccountApi {
  listNumbers(): Promise<CarrierNumber[]>;
  configureWebhooks(numbers: CarrierNumber[], urls: WebhookUrls): Promise<WebhookSetupResult>;
}

/** Countries numbers can be searched and bought in (docs/carriers/README.md, "Buying numbers"). */
export const NUMBER_COUNTRIES = ['US', 'CA', 'GB'] as const;
export type NumberCountry = (typeof NUMBER_COUNTRIES)[number];

/** A search for numbers to buy. */
export interface NumberSearch {
  country: NumberCountry;
  /** The national destination code: a US/CA area code (415), a GB area code without its 0 (20, 7700). */
  areaCode?: string | undefined;
  /** A city (Twilio InLocality, Telnyx filter[locality], Bandwidth city). */
  locality?: string | undefined;
  /** Digits the number must contain. */
  contains?: string | undefined;
  /** Capabilities every number found must have. */
  capabilities?: Array<'sms' | 'voice'> | undefined;
  limit: number;
}

/** A number a carrier offers. */
export interface AvailableNumber {
  phone: string;
  locality: string | null;
  region: string | null;
  country: string;
  capabilities: { sms: boolean; voice: boolean; mms: boolean };
  /** What it costs a month, as the carrier says it ("1.15 USD"); absent when the search does not say. */
  monthlyPrice?: string | undefined;
}

/** A number just bought. */
export interface BoughtNumber {
  e164: string;
  /** The carrier's id of the number or order (Twilio PN…, Telnyx number order, Bandwidth order id). */
  carrierNumberId?: string | undefined;
  capabilities: string[];
}

/**
 * Number ordering failures use CarrierError with one of these reasons (the use case turns each into
 * a problem+json code; docs/carriers/README.md lists the carriers' codes behind each).
 */
export type NumberOrderReason =
  | 'number_unavailable'
  | 'regulatory_requirement'
  | 'insufficient_balance'
  | 'carrier_auth_failed'
  | 'invalid_search'
  | 'carrier_unknown';

/** Searching, buying and releasing numbers through a carrier account (optional: not every adapter has it). */
export interface NumberOrderingApi {
  searchAvailableNumbers(search: NumberSearch): Promise<AvailableNumber[]>;
  /** Buys `phone` with its webhooks pointed at `urls`. */
  buyNumber(phone: string, urls: WebhookUrls): Promise<BoughtNumber>;
  /** Gives the number back to the carrier (by its id where the carrier needs one). */
  releaseNumber(phone: string, carrierNumberId?: string | null): Promise<void>;
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

/** Speed to lead: one agent's ring call, placed through a carrier's voice API (docs/teams.md). */
export interface AgentCallRequest {
  /** Textback's agent call id: travels with the call (Telnyx `client_state`, Bandwidth `tag`) and comes back in its webhooks. */
  agentCallId: string;
  /** The business number. */
  from: string;
  /** The agent's mobile. */
  to: string;
  /** How long the agent's phone rings before the carrier gives up. */
  timeoutSeconds: number;
}

/**
 * Ringing agents through a voice API other than Twilio's (whose adapter has its own TwiML-based
 * methods): Telnyx Call Control and Bandwidth Voice. Failures are CarrierErrors, classed as for sends.
 */
export interface AgentCallApi {
  readonly kind: string;
  /** Places the call; returns the carrier's id of it (Telnyx call_control_id, Bandwidth callId). */
  placeAgentCall(call: AgentCallRequest): Promise<string>;
  /** Hangs up (or cancels, while it rings) a call placed by `placeAgentCall`. */
  hangUpAgentCall(carrierCallId: string, agentCallId: string): Promise<void>;
  /**
   * Says `words` on an answered call, when the carrier needs a command for it (Telnyx speak);
   * absent when the words go back in the answer webhook's own response (Bandwidth BXML).
   */
  announce?(carrierCallId: string, agentCallId: string, words: string): Promise<void>;
}
