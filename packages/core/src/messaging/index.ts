export { countSegments, previewSegments, smartEncode } from './segments.js';
export type { CountSegmentsOptions, SegmentCount, SegmentPreview, SmsEncoding } from './segments.js';
