export {
  AUTOMATION_STATES,
  MAX_STEP_DEPTH,
  NOW_VALUE,
  STEP_TYPES,
  TRIGGER_TYPES,
  VARIANT_SELECTIONS,
  compareByPriority,
  formatAutomationError,
  matchesTrigger,
  parseAutomation,
  validateAutomation,
} from './automation.js';
export type {
  AssignStep,
  Automation,
  AutomationError,
  AutomationScope,
  AutomationState,
  ConditionStep,
  DelayStep,
  SendSmsStep,
  SmsVariant,
  Step,
  StepType,
  ReplyAgentStep,
  StopStep,
  Trigger,
  TriggerEvent,
  TriggerType,
  UpdateContactStep,
  VariantSelection,
  ValidateAutomationOptions,
  WebhookStep,
} from './automation.js';
export {
  CONDITION_FIELDS,
  CONTACT_ATTRIBUTE_FIELD_PREFIX,
  OPERATORS_BY_KIND,
  evaluateCondition,
  fieldSpec,
  toTimestamp,
  validateCondition,
} from './condition.js';
export type {
  Comparison,
  ComparisonOperator,
  Condition,
  ConditionError,
  ConditionResult,
  ConditionValue,
  FieldKind,
  FieldLookup,
  FieldSpec,
} from './condition.js';
export { formatDuration, isDuration, parseDuration } from './duration.js';
export { advanceRun, cancelRun, completeStep, deferStep, fingerprintSteps, formatStepPath, parseStepPath, startRun, stepNotDone } from './evaluate.js';
export type {
  AdvanceResult,
  CallFacts,
  ContactFacts,
  DoneReason,
  PendingStep,
  RunAction,
  RunContext,
  RunState,
  SideEffectKind,
  StepPosition,
  TraceEntry,
  WebhookPayload,
} from './evaluate.js';
export { LAST_MISSED_CALL_SMS_AT, MISSED_CALL_TEXTS, missedCallTextBackPreset, readMissedCallPreset } from './presets.js';
export type { MissedCallPresetOptions, MissedCallTextKey } from './presets.js';
