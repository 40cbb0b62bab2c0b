export {
  ANY_ATTRIBUTE,
  ATTRIBUTE_PREFIX,
  BUILT_IN_VARIABLES,
  BUILT_IN_VARIABLE_NAMES,
  TemplateSyntaxError,
  attributeVariables,
  parseTemplate,
  renderTemplate,
  templateVariables,
  validateTemplate,
} from './template.js';
export type {
  BuiltInVariable,
  ParseTemplateResult,
  TemplateError,
  TemplateErrorCode,
  TemplateToken,
  TemplateVariables,
} from './template.js';
export { hash32, pickVariant, validateVariants, variantStickyKey } from './variants.js';
export type { VariantError, WeightedVariant } from './variants.js';
