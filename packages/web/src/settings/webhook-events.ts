/** Every event an endpoint can subscribe to, in words (the server's list: WEBHOOK_EVENT_TYPES; a unit test keeps them equal). */
export const WEBHOOK_EVENTS: { type: string; label: string }[] = [
  { type: 'message.created', label: 'A text is sent or scheduled' },
  { type: 'message.status_changed', label: 'A text is delivered, fails or is held' },
  { type: 'message.received', label: 'A contact texts in' },
  { type: 'message.not_replied', label: 'A text got no reply in time' },
  { type: 'call.completed', label: 'A call ends (missed, answered, voicemail)' },
  { type: 'contact.consent_changed', label: 'A contact opts out or back in' },
  { type: 'lead.created', label: 'A new lead arrives' },
  { type: 'automation.run_finished', label: 'An automation finishes for a contact' },
  { type: 'queue.session_created', label: 'A queue session starts' },
  { type: 'queue.session_accepted', label: 'An agent accepts a queue session' },
  { type: 'queue.session_ended', label: 'A queue session ends' },
  { type: 'suppression.added', label: 'A number is added to the do-not-contact list' },
  { type: 'suppression.removed', label: 'A number is taken off the do-not-contact list' },
  { type: 'webhook_endpoint.disabled', label: 'A webhook endpoint is disabled after failing' },
];
