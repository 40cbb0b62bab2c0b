export { InvalidPhoneNumberError, isE164, normalizePhone, parseE164Loose, phoneAreaCode } from './normalize-phone.js';
export type { CountryCode, InvalidPhoneNumberReason, NormalizedPhone, PhoneNumberType } from './normalize-phone.js';
