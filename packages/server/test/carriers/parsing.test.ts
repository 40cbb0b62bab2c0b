/**
 * Webhook parsers on the carriers' own documented examples, read from the reference files as they
 * are: Bandwidth's webhook page (every JSON example) and its OpenAPI callback examples, Telnyx's
 * OpenAPI webhook examples and signed vectors, Twilio's documented parameters (the vectors).
 * Bandwidth's voice callbacks have no example in the document: they are assembled from the
 * `example` of each field of their schema (answerCallback, disconnectCallback,
 * machineDetectionCompleteCallback).
 */
import { describe, expect, it } from 'vitest';
import {
  agentCallBxml,
  bandwidthAnsweredBy,
  bandwidthDisconnectStatus,
  parseBandwidthAgentCallEvent,
  parseBandwidthCallEvent,
  parseBandwidthDetection,
  parseBandwidthMessageEvents,
} from '../../src/carriers/bandwidth/bandwidth-webhooks.js';
import { parseTelnyxAgentCallEvent, parseTelnyxEvent, telnyxAnsweredBy, telnyxHangupStatus, telnyxMessageStatus } from '../../src/carriers/telnyx/telnyx-webhooks.js';
import { parseTwilioCall, parseTwilioInbound, parseTwilioStatus, twilioMessageStatus } from '../../src/carriers/twilio/twilio-webhooks.js';
import { bandwidthDocExamples, referenceJson } from './helpers.js';

const none = new URLSearchParams();

describe('Bandwidth: every example of bandwidth-messaging-webhooks.md', () => {
  const examples = bandwidthDocExamples();

  it('has the documented examples (received SMS and group MMS, sending, 4 delivered, failed)', () => {
    expect(examples.map((e) => e.type)).toEqual(['message-received', 'message-received', 'message-sending', 'message-delivered', 'message-delivered', 'message-delivered', 'message-delivered', 'message-failed']);
  });

  it('parses each one', () => {
    const parsed = examples.map((e) => parseBandwidthMessageEvents(e.events)[0]!);
    expect(parsed[0]).toEqual({
      type: 'inbound',
      message: {
        carrier: 'bandwidth',
        carrierMessageId: '14762070468292kw2fuqty55yp2b2',
        from: '+12345678901',
        to: '+12345678902',
        body: 'Hey, check this out!',
        media: ['https://messaging.bandwidth.com/api/v2/users/{accountId}/media/14762070468292kw2fuqty55yp2b2/0/bw.png'],
      },
    });
    // A group MMS: the copy for the number that owns it.
    expect(parsed[1]).toMatchObject({ type: 'inbound', message: { to: '+12345678902' } });
    expect(parsed[2]).toMatchObject({ type: 'receipt', messageId: 'v2 lab', receipt: { status: 'sent', carrierMessageId: '1593110555875xo7watq5px6rbe5d' } });
    for (const p of parsed.slice(3, 7)) expect(p).toMatchObject({ type: 'receipt', receipt: { status: 'delivered' } });
    expect(parsed[7]).toEqual({
      type: 'receipt',
      messageId: undefined,
      receipt: { carrier: 'bandwidth', carrierMessageId: '14762070468292kw2fuqty55yp2b2', status: 'failed', errorCode: '4432', reason: 'unsupported_country' },
    });
  });

  it('parses the callback examples of the OpenAPI document (message-sent included)', () => {
    const spec = referenceJson('bandwidth-messaging-voice.openapi.json');
    const ex = spec.components.examples as Record<string, { value: unknown }>;
    const parse = (name: string) => parseBandwidthMessageEvents([ex[name]!.value])[0];
    expect(parse('messageSendingCallbackExample')).toMatchObject({ receipt: { status: 'sent' } });
    expect(parse('messageSentCallbackExample')).toMatchObject({ receipt: { status: 'sent' } });
    expect(parse('smsMessageDeliveredCallbackExample')).toMatchObject({ receipt: { status: 'delivered' } });
    expect(parse('messageFailedCallbackExample')).toMatchObject({ receipt: { status: 'failed', errorCode: '4432', reason: 'unsupported_country' } });
  });

  it('message-failed: refused by Bandwidth (4xxx) is failed, by the network (47xx, 5xxx, 9xxx) undelivered', () => {
    const failed = (errorCode: number) => parseBandwidthMessageEvents([{ type: 'message-failed', errorCode, to: '+1', message: { id: 'x' } }])[0]!;
    expect(failed(4432)).toMatchObject({ receipt: { status: 'failed' } });
    expect(failed(4770)).toMatchObject({ receipt: { status: 'undelivered', reason: 'spam_filtered' } });
    expect(failed(4775)).toMatchObject({ receipt: { status: 'undelivered', reason: 'opted_out' } });
    expect(failed(5600)).toMatchObject({ receipt: { status: 'undelivered' } });
    expect(failed(9902)).toMatchObject({ receipt: { status: 'undelivered' } });
  });

  it('disconnect: answered or not, and why', () => {
    const base = { eventType: 'disconnect', from: '+15551112222', to: '+15553334444', direction: 'inbound', callId: 'c-1', startTime: '2022-06-17T22:19:40.375Z', endTime: '2022-06-17T22:20:10.375Z' };
    expect(parseBandwidthCallEvent({ ...base, cause: 'hangup', answerTime: '2022-06-17T22:19:50.375Z' })).toMatchObject({ status: 'completed', durationSeconds: 20, externalId: 'c-1' });
    expect(parseBandwidthCallEvent({ ...base, cause: 'timeout' })).toMatchObject({ status: 'no-answer', durationSeconds: 30 });
    expect(parseBandwidthCallEvent({ ...base, cause: 'cancel' })).toMatchObject({ status: 'canceled' });
    expect(parseBandwidthCallEvent({ ...base, cause: 'busy', direction: 'outbound' })).toMatchObject({ status: 'busy', direction: 'outbound' });
    expect(parseBandwidthCallEvent({ ...base, eventType: 'answer' })).toBeUndefined();
    expect(bandwidthDisconnectStatus('application-error', false)).toBe('failed');
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reference documents are free-form JSON
type Json = Record<string, any>;

/** A Bandwidth callback made of its schema's field examples (the document has no example of the whole). */
function bandwidthCallbackExample(schema: string, eventType: string): Json {
  const schemas = referenceJson('bandwidth-messaging-voice.openapi.json').components.schemas as Record<string, Json>;
  const exampleOf = (s: Json): unknown => {
    const target = s.$ref ? schemas[String(s.$ref).split('/').pop()!]! : s;
    if (target.example !== undefined) return target.example;
    if (target.properties) return Object.fromEntries(Object.entries(target.properties as Record<string, Json>).map(([k, v]) => [k, exampleOf(v)]));
    return undefined;
  };
  return { ...(exampleOf(schemas[schema]!) as Json), eventType };
}

describe('Bandwidth: voice callbacks (answering-machine detection, speed-to-lead ring calls)', () => {
  it('machineDetectionComplete (schema example: answering-machine) is a machine on that callId', () => {
    const event = bandwidthCallbackExample('machineDetectionCompleteCallback', 'machineDetectionComplete');
    expect(event.machineDetectionResult).toEqual({ value: 'answering-machine', duration: 'PT4.9891287S' });
    expect(parseBandwidthDetection(event)).toEqual({ carrier: 'bandwidth', externalId: 'c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85', answeredBy: 'machine', from: '+15555555555', to: '+15555555555' });
    // Not a call of its own: the disconnect parser ignores it.
    expect(parseBandwidthCallEvent(event)).toBeUndefined();
  });

  it('each documented result, and the sync-mode result carried by an answer callback', () => {
    expect(['human', 'answering-machine', 'tone-detected', 'silence', 'timeout', 'error'].map(bandwidthAnsweredBy)).toEqual(['human', 'machine', 'machine', 'unknown', 'unknown', 'unknown']);
    const answer = bandwidthCallbackExample('answerCallback', 'answer');
    expect(parseBandwidthDetection({ ...answer, machineDetectionResult: { value: 'human', duration: 'PT1S' } })).toMatchObject({ answeredBy: 'human' });
    expect(parseBandwidthDetection({ ...answer, machineDetectionResult: undefined })).toBeUndefined();
    expect(parseBandwidthDetection(bandwidthCallbackExample('disconnectCallback', 'disconnect'))).toBeUndefined();
    expect(() => parseBandwidthDetection({ eventType: 'machineDetectionComplete', callId: 'c-1', from: '+1', to: '+2' })).toThrow(/machineDetectionResult/);
  });

  it('a ring call: answer, disconnect after an answer, disconnect before one; the tag names the agent call', () => {
    const answer = { ...bandwidthCallbackExample('answerCallback', 'answer'), tag: 'acall_1' };
    expect(parseBandwidthAgentCallEvent(answer)).toEqual({ agentCallId: 'acall_1', callSid: 'c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85', outcome: 'answered', isAnswer: true });
    const disconnect = { ...bandwidthCallbackExample('disconnectCallback', 'disconnect'), tag: 'acall_1' };
    expect(parseBandwidthAgentCallEvent(disconnect)).toMatchObject({ outcome: 'answered', isAnswer: false });
    expect(parseBandwidthAgentCallEvent({ ...disconnect, answerTime: null, cause: 'timeout' })).toMatchObject({ outcome: 'missed', isAnswer: false });
    expect(parseBandwidthAgentCallEvent({ ...answer, eventType: 'initiate' })).toBeUndefined();
    expect(() => parseBandwidthAgentCallEvent({ ...answer, tag: undefined })).toThrow(/tag/);
    expect(agentCallBxml('New lead from <Robin> & co')).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><SpeakSentence>New lead from &lt;Robin&gt; &amp; co</SpeakSentence><Hangup/></Response>');
  });
});

describe('Telnyx: the OpenAPI webhook examples and the signed vectors', () => {
  const spec = referenceJson('telnyx-messaging.openapi.json');
  const schemas = spec.components.schemas as Record<string, { example?: Record<string, unknown> }>;
  const envelope = (data: unknown) => ({ data, meta: { attempt: 1 } });

  it('call.hangup (CallHangup example): call_rejected is busy', () => {
    const event = parseTelnyxEvent(envelope(schemas.CallHangup!.example), none);
    expect(event).toMatchObject({ type: 'call', call: { from: '+35319605860', to: '+35319605860', status: 'busy', externalId: '428c31b6-7af4-4bcb-b7f5-5013ef9657c1' } });
  });

  it('message.received (InboundMessagePayload example) and the signed vector', () => {
    const payload = schemas.InboundMessagePayload!.example!;
    const event = parseTelnyxEvent(envelope({ event_type: 'message.received', id: 'e-1', occurred_at: '2019-01-23T18:10:02.574Z', payload, record_type: 'event' }), none);
    expect(event).toMatchObject({ type: 'inbound', message: { carrierMessageId: '7ee4241c-f127-47e5-9c34-3aac291f8058', from: '+18665550001', to: '+18445550001', body: 'Hello, World!' } });
    const vector = referenceJson('telnyx-signature-vectors.json').vectors[0];
    expect(parseTelnyxEvent(JSON.parse(vector.rawBody), none)).toMatchObject({ type: 'inbound', eventId: 'b301ed3f-1490-491f-995f-6e64e69674d4', message: { to: '+17735550002' } });
  });

  it('message.sent / message.finalized (OutboundMessagePayload example, finalized vector)', () => {
    const payload = schemas.OutboundMessagePayload!.example!;
    const sent = parseTelnyxEvent(envelope({ event_type: 'message.sent', id: 'e-2', payload: { ...payload, to: [{ phone_number: '+1', status: 'sent' }] } }), new URLSearchParams('m=msg_1'));
    expect(sent).toMatchObject({ type: 'receipt', messageId: 'msg_1', receipt: { status: 'sent', carrierMessageId: payload.id } });
    const vector = referenceJson('telnyx-signature-vectors.json').vectors.find((v: { id: string }) => v.id === 'telnyx-message-finalized');
    expect(parseTelnyxEvent(JSON.parse(vector.rawBody), none)).toMatchObject({ type: 'receipt', receipt: { status: 'undelivered', errorCode: '40008', reason: 'landline_or_unreachable' } });
  });

  it('call.hangup vector (no_answer) and the status vocabularies', () => {
    const vector = referenceJson('telnyx-signature-vectors.json').vectors.find((v: { id: string }) => v.id === 'telnyx-call-hangup');
    expect(parseTelnyxEvent(JSON.parse(vector.rawBody), none)).toMatchObject({ type: 'call', call: { status: 'no-answer', direction: 'inbound', from: '+13125550001', to: '+17735550002' } });
    expect(['queued', 'sending', 'sent', 'expired', 'sending_failed', 'delivery_unconfirmed', 'delivered', 'delivery_failed'].map(telnyxMessageStatus)).toEqual([
      'sent', 'sent', 'sent', 'undelivered', 'failed', 'sent', 'delivered', 'undelivered',
    ]);
    expect(['call_rejected', 'normal_clearing', 'originator_cancel', 'timeout', 'time_limit', 'user_busy', 'not_found', 'no_answer', 'unspecified'].map(telnyxHangupStatus)).toEqual([
      'busy', 'completed', 'canceled', 'no-answer', 'completed', 'busy', 'failed', 'no-answer', 'failed',
    ]);
    expect(parseTelnyxEvent(envelope({ event_type: 'call.initiated', id: 'e-3', payload: {} }), none)).toEqual({ type: 'ignored', eventId: 'e-3', eventType: 'call.initiated' });
  });

  it('call.machine.detection.ended (CallMachineDetectionEnded example, and its documented results)', () => {
    const example = schemas.CallMachineDetectionEnded!.example!;
    expect(parseTelnyxEvent(envelope(example), none)).toEqual({
      type: 'detection',
      eventId: '0ccc7b54-4df3-4bca-a65a-3da1ecc777f0',
      detection: { carrier: 'telnyx', externalId: '428c31b6-7af4-4bcb-b7f5-5013ef9657c1', answeredBy: 'human', from: '+35319605860', to: '+35319605860' },
    });
    const payload = example.payload as Json;
    // The same leg as the CallHangup example: the detection merges into that call.
    expect(payload.call_leg_id).toBe((schemas.CallHangup!.example!.payload as Json).call_leg_id);
    expect(parseTelnyxEvent(envelope({ ...example, payload: { ...payload, result: 'machine' } }), none)).toMatchObject({ detection: { answeredBy: 'machine' } });
    expect(['human', 'machine', 'not_sure'].map(telnyxAnsweredBy)).toEqual(['human', 'machine', 'unknown']);
    // Premium detection's results (developers.telnyx.com, Dial answering_machine_detection).
    expect(parseTelnyxEvent(envelope({ ...example, event_type: 'call.machine.premium.detection.ended', payload: { ...payload, result: 'human_business' } }), none)).toMatchObject({ type: 'detection', detection: { answeredBy: 'human' } });
    expect(['human_residence', 'human_business', 'machine', 'silence', 'fax_detected'].map(telnyxAnsweredBy)).toEqual(['human', 'human', 'machine', 'unknown', 'machine']);
    expect(() => parseTelnyxEvent(envelope({ ...example, payload: { ...payload, result: undefined } }), none)).toThrow(/result/);
  });

  it('a ring call (CallAnswered / CallHangup examples with our client_state)', () => {
    const state = Buffer.from('acall_01TEST').toString('base64');
    const answered = envelope({ ...schemas.CallAnswered!.example, payload: { ...(schemas.CallAnswered!.example!.payload as Json), client_state: state } });
    expect(parseTelnyxAgentCallEvent(answered)).toEqual({
      eventId: '0ccc7b54-4df3-4bca-a65a-3da1ecc777f0',
      eventType: 'call.answered',
      event: { agentCallId: 'acall_01TEST', callSid: 'v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg', outcome: 'answered', speak: true },
    });
    const hangup = (cause: string) =>
      parseTelnyxAgentCallEvent(envelope({ ...schemas.CallHangup!.example, payload: { ...(schemas.CallHangup!.example!.payload as Json), client_state: state, call_control_id: 'v3:x', hangup_cause: cause } })).event;
    expect(hangup('call_rejected')).toMatchObject({ outcome: 'missed', speak: false });
    expect(hangup('timeout')).toMatchObject({ outcome: 'missed' });
    expect(hangup('normal_clearing')).toMatchObject({ outcome: 'answered', speak: false });
    expect(parseTelnyxAgentCallEvent(envelope({ event_type: 'call.speak.ended', id: 'e-4', payload: { call_control_id: 'v3:x', client_state: state, status: 'completed' } })).event).toMatchObject({ outcome: 'spoken' });
    expect(parseTelnyxAgentCallEvent(envelope({ event_type: 'call.initiated', id: 'e-5', payload: {} }))).toEqual({ eventId: 'e-5', eventType: 'call.initiated' });
    // The reference example's own client_state is not one of ours.
    expect(() => parseTelnyxAgentCallEvent(envelope(schemas.CallAnswered!.example))).toThrow(/client_state/);
  });
});

describe('Twilio: the documented parameters (reference vectors)', () => {
  const vectors = referenceJson('twilio-signature-vectors.json').vectors as Array<{ id: string; params: Record<string, string | string[]> }>;
  const v = (id: string) => vectors.find((x) => x.id === id)!.params;

  it('inbound SMS', () => {
    expect(parseTwilioInbound(v('inbound-sms-unicode'))).toEqual({
      carrier: 'twilio',
      carrierMessageId: 'SM0123456789abcdef0123456789abcdef',
      from: '+14155550123',
      to: '+14155550100',
      body: 'Hi, can you call me back? Café ☕ 12:30 & thanks!',
    });
  });

  it('status callback: undelivered 30003 with our message id from the URL', () => {
    expect(parseTwilioStatus(v('status-callback-port'), new URLSearchParams('tenant=acme&msg=42&m=msg_9'))).toEqual({
      messageId: 'msg_9',
      receipt: { carrier: 'twilio', carrierMessageId: 'SMfedcba9876543210fedcba9876543210', status: 'undelivered', errorCode: '30003', reason: 'landline_or_unreachable' },
    });
    expect(['accepted', 'queued', 'sending', 'sent', 'delivered', 'read', 'undelivered', 'failed', 'received', 'canceled'].map(twilioMessageStatus)).toEqual([
      'sent', 'sent', 'sent', 'sent', 'delivered', 'delivered', 'undelivered', 'failed', undefined, undefined,
    ]);
  });

  it('call status: a no-answer outbound call, the voice example, and AMD', () => {
    expect(parseTwilioCall({ ...v('array-param'), From: '+14155550100', To: '+14155550123' })).toMatchObject({ status: 'no-answer', direction: 'outbound', externalId: 'CA11111111111111111111111111111111', durationSeconds: undefined });
    // The docs' voice example has no CallStatus: not a status callback.
    expect(() => parseTwilioCall(v('twilio-docs-voice-example'))).toThrow(/CallStatus/);
    expect(parseTwilioCall({ CallSid: 'CA1', CallStatus: 'completed', CallDuration: '42', AnsweredBy: 'machine_start', Direction: 'inbound', From: '+1', To: '+2' })).toMatchObject({ status: 'completed', durationSeconds: 42, answeredBy: 'machine' });
    expect(parseTwilioCall({ CallSid: 'CA2', CallStatus: 'completed', Direction: 'outbound-dial', ParentCallSid: 'CA1', From: '+1', To: '+2' })).toBeUndefined();
  });
});
