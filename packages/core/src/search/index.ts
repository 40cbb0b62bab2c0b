export type { Node, ParsedQuery, Sort, Test } from './ast.js';
export { DATE_FORMS, resolveDate, type Period } from './dates.js';
export { evaluateContacts, evaluateConversations, attributeText, type EvaluateOptions, type SearchRows } from './evaluate.js';
export { closest, ERROR_STATUSES, FIELDS, HAS, MESSAGE_STATUSES, SENT_STATUSES, SORTABLE, fieldsOf, findField, type FieldDefinition, type FieldScope, type FieldType, type HasDefinition } from './fields.js';
export { MAX_QUERY_LENGTH, MAX_TERMS, parseQuery, QueryError, type ParseOptions } from './parser.js';
